/** The reference simulator's reading (aws-samples/lambda-refarch-iotbackend, environment/app.py). */
export interface SoilReading {
  name: string;
  humidity: number;
  timeStampEpoch: number;
  timeStampIso: string;
}

/** Humidity is a whole number uniform in 20..45 inclusive, as the reference's randint(20, 45). */
export function soilReading(name: string, now: number, random: () => number = Math.random): SoilReading {
  const humidity = 20 + Math.floor(random() * 26);
  return { name, humidity, timeStampEpoch: now, timeStampIso: new Date(now).toISOString() };
}

export function deviceNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

/** `device/${name}/devicePayload` → `device/soilSensor1/devicePayload`. */
export function deviceTopic(template: string, name: string): string {
  return template.replaceAll('${name}', name);
}
