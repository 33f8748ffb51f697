export type { DownsampleQuery, FieldSummary, Reading, ReadingInterval, ReadingsQuery, ReadingsStore, SeriesInfo, SeriesSpec } from './port.js';
export { openSqliteReadingsStore } from './sqlite.js';
export { DEFAULT_SWEEP_INTERVAL_MS, RetentionSweeper, type RetentionSweeperOptions } from './sweeper.js';
