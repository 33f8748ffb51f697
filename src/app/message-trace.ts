import { targetResource, type ActionJob, type AttemptReport } from '../actions/index.js';
import { TraceRing } from '../trace/index.js';

/**
 * The trace ring as the server feeds it: jobs are the action queue's, their
 * kind named as the stack names it (a rule's `function` action is AWS's
 * Lambda action) and their target as logs and metrics show it.
 */
export function createTraceRing(capacity: number): TraceRing<ActionJob> {
  return new TraceRing<ActionJob>(capacity, {
    kind: (job) => (job.target.kind === 'function' ? 'lambda' : job.target.kind),
    target: (job) => targetResource(job.target),
  });
}

/** The executor's `onAttempt`: its report goes to the ring as it is; jobs of untraced (or evicted) messages are ignored there. */
export function traceAttempts(ring: TraceRing<ActionJob>): (job: ActionJob, report: AttemptReport) => void {
  return (job, report) => ring.attempted(job.id, report);
}
