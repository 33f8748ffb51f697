/**
 * The reference architecture's IoTFunction (lambda_function.py), in TypeScript:
 * invoked by SoilHumidityAlertRule with the reading as its event, it publishes
 * an alert to the topic whose ARN is in the `alert_sns` environment variable.
 */
import { sns } from 'sluice/runtime';

interface SoilReading {
  name: string;
  humidity: number;
}

function isSoilReading(event: unknown): event is SoilReading {
  if (typeof event !== 'object' || event === null) return false;
  const { name, humidity } = event as Record<string, unknown>;
  return typeof name === 'string' && (typeof humidity === 'number' || typeof humidity === 'string');
}

export async function handler(event: unknown): Promise<{ messageId: string }> {
  if (!isSoilReading(event)) {
    throw new TypeError(`expected a soil reading {"name","humidity",...}, got ${JSON.stringify(event)}`);
  }
  const topicArn = process.env.alert_sns;
  if (!topicArn) throw new Error('environment variable alert_sns (the alert topic ARN) is not set');
  const result = await sns.publish({
    TopicArn: topicArn,
    Subject: 'Attention:Humidity Under Threshold',
    Message: `Humidity ${event.humidity} under threshold for device name ${event.name}`,
  });
  console.log(`alert ${result.MessageId} sent for ${event.name} (humidity ${event.humidity})`);
  return { messageId: result.MessageId };
}
