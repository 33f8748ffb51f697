/**
 * The state store port. Capabilities keep their records in named collections of
 * JSON documents; the embedded driver is SQLite (`state/`), and a cluster
 * driver (PostgreSQL) can implement the same contract later. The API is
 * asynchronous for that reason, even though SQLite answers synchronously.
 */
export interface DocumentCollection<T> {
  get(id: string): Promise<T | undefined>;
  put(id: string, doc: T): Promise<void>;
  /** Returns whether a document was deleted. */
  delete(id: string): Promise<boolean>;
  /** All documents, ordered by id. */
  list(): Promise<Array<{ id: string; doc: T }>>;
}

export interface StateStore {
  collection<T>(name: string): DocumentCollection<T>;
  close(): Promise<void>;
}
