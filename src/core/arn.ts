/**
 * Sluice names its resources with AWS-shaped ARNs so that code written for AWS
 * (a function reading `process.env.alert_sns`, say) works unchanged. The
 * partition is `sluice`, the region `local`, the account all zeros.
 */
export const ARN_PARTITION = 'sluice';
export const ARN_REGION = 'local';
export const ARN_ACCOUNT = '000000000000';

export function topicArn(topicName: string): string {
  return `arn:${ARN_PARTITION}:sns:${ARN_REGION}:${ARN_ACCOUNT}:${topicName}`;
}

export function functionArn(functionName: string): string {
  return `arn:${ARN_PARTITION}:lambda:${ARN_REGION}:${ARN_ACCOUNT}:function:${functionName}`;
}

/** Accepts a topic ARN (ours or AWS's shape) or a bare topic name; returns the name. */
export function topicNameFromArnOrName(value: string): string {
  if (!value.startsWith('arn:')) return value;
  const parts = value.split(':');
  return parts[5] ?? value;
}
