import { SluiceError } from '../core/index.js';

/** SNS topic names: 1 to 256 ASCII letters, digits, hyphens and underscores. */
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
/** SNS caps message size at 256 KiB (of UTF-8). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** SNS caps the email subject at 100 characters. */
export const MAX_SUBJECT_CHARS = 100;
/** Control characters would let a subject or display name break out of its mail header. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${field}: ${message}`, { place: { field } });
}

export function validateTopicName(name: string): string {
  if (!TOPIC_NAME.test(name)) {
    throw invalid('name', `invalid topic name ${JSON.stringify(name)}: use 1 to 256 letters, digits, hyphens or underscores`);
  }
  return name;
}

export function validateDisplayName(displayName: string): string {
  if (displayName.length > MAX_SUBJECT_CHARS || CONTROL.test(displayName)) {
    throw invalid('displayName', `must be at most ${MAX_SUBJECT_CHARS} characters without line breaks`);
  }
  return displayName;
}

export function validateSubject(subject: string): string {
  if (subject.trim() === '' || subject.length > MAX_SUBJECT_CHARS || CONTROL.test(subject)) {
    throw invalid('subject', `must be 1 to ${MAX_SUBJECT_CHARS} characters without line breaks`);
  }
  return subject;
}

export function validateMessage(message: string): string {
  if (message === '') throw invalid('message', 'must not be empty');
  if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) {
    throw invalid('message', `must be at most ${MAX_MESSAGE_BYTES} bytes of UTF-8`);
  }
  return message;
}
