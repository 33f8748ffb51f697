export type { ObjectStore, ObjectSummary, PutObjectOptions, StoredObject } from './object-store.js';
export { createFsObjectStore } from './fs-store.js';
export { createMemoryObjectStore } from './memory-store.js';
export { bucketNameProblem, assertBucketName, assertObjectKey } from './keys.js';
