import { useState } from 'preact/hooks';
import { ApiError, apiFetch } from '../../api';
import { CodeEditor, type EditorMarker } from '../../code-editor';
import { ErrorNotice } from '../../components';

interface TestAnswer {
  matched: boolean;
  output?: unknown;
  outputBase64?: string;
}

const SAMPLE_PAYLOAD = JSON.stringify(
  { name: 'soilSensor1', humidity: 29, timeStampEpoch: 1598536072677, timeStampIso: '2020-08-27T13:47:52.677721' },
  null,
  2,
);

/** A topic the filter matches, for the "try it" form: `+` → the sample device, `#` → a sample level. */
function sampleTopic(sql: string): string {
  const from = /FROM\s+'([^']*)'/i.exec(sql)?.[1];
  if (!from) return 'device/soilSensor1/devicePayload';
  return from.replace(/\+/g, 'soilSensor1').replace(/#$/, 'sample');
}

/**
 * The SQL editor and "try it": POST /api/v1/rules/test evaluates the SQL
 * against a sample message with the server's own engine. A syntax error comes
 * back as 400 with `place: { line, column }`; it is marked under that place.
 */
export function RuleTester({ initialSql, sqlVersion, heading }: { initialSql: string; sqlVersion: string | undefined; heading: string }) {
  const [sql, setSql] = useState(initialSql);
  const [topic, setTopic] = useState(sampleTopic(initialSql));
  const [payload, setPayload] = useState(SAMPLE_PAYLOAD);
  const [marker, setMarker] = useState<EditorMarker | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [answer, setAnswer] = useState<TestAnswer | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const run = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setMarker(undefined);
    setError(undefined);
    setAnswer(undefined);
    try {
      const result = await apiFetch<TestAnswer>('/api/v1/rules/test', {
        method: 'POST',
        json: { sql, topic, payload, ...(sqlVersion ? { sqlVersion } : {}) },
      });
      setAnswer(result);
    } catch (caught) {
      const place = caught instanceof ApiError ? caught.place : undefined;
      if (caught instanceof ApiError && caught.status === 400 && place?.line !== undefined && place.field === undefined) {
        setMarker({ line: place.line, column: place.column ?? 1, message: caught.message });
      } else {
        setError(caught);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel stack" onSubmit={(event) => void run(event)} aria-label="Rule tester">
      <h2>{heading}</h2>
      <p class="muted">Edits here are not deployed; change a rule by deploying its stack. Try the SQL on a sample message below.</p>
      <CodeEditor
        label="SQL"
        value={sql}
        onInput={(value) => {
          setSql(value);
          setMarker(undefined);
        }}
        rows={4}
        marker={marker}
      />
      <div class="row">
        <label>
          Sample topic
          <input value={topic} onInput={(event) => setTopic(event.currentTarget.value)} size={36} />
        </label>
      </div>
      <label>
        Sample payload
        <textarea class="code" rows={6} value={payload} spellcheck={false} onInput={(event) => setPayload(event.currentTarget.value)} />
      </label>
      <div>
        <button type="submit" disabled={busy}>
          {busy ? 'Running…' : 'Try it'}
        </button>
      </div>
      <ErrorNotice error={error} title="Try it failed" />
      {answer ? (
        <div role="status" aria-label="Try it result">
          {answer.matched ? (
            <>
              <p>
                <strong>Matched.</strong> Output:
              </p>
              <pre>{answer.output !== undefined ? JSON.stringify(answer.output, null, 2) : `(binary, base64) ${answer.outputBase64 ?? ''}`}</pre>
            </>
          ) : (
            <p>
              <strong>Did not match</strong>: the topic does not match the FROM filter, or the WHERE clause is false.
            </p>
          )}
        </div>
      ) : null}
    </form>
  );
}
