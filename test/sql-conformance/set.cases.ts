import { invalidAt, syntaxErrorAt, type ConformanceCase } from './cases.js';
import { SENML } from './nested-queries.cases.js';

/*
 * The SET clause page (added after the 2023 snapshot):
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-set.html
 * Examples not turned into cases:
 * - "Avoiding duplicate function calls": decode(..., 'proto', ...) needs a protobuf descriptor in S3.
 * - "Multiple variables" verbatim: get_user_properties(device_id) reads MQTT 5 user properties, which the
 *   runner's messages do not carry; a derived case below uses a payload attribute instead.
 * - "Using variables in substitution templates": the SQL is the basic example's; the template is an action's.
 */

const URL = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-set.html';
const SYNTAX = `${URL}#iot-sql-set-syntax`;
const USAGE = `${URL}#iot-sql-set-usage`;

const longName = (n: number): string => 'v'.repeat(n);

export const SET_CASES: ConformanceCase[] = [
  {
    source: `${URL} (Basic variable usage)`,
    sql: "SET @temp_celsius = (temp_fahrenheit - 32) * 5 / 9\nSELECT @temp_celsius AS celsius, humidity FROM 'device/data'",
    topic: 'device/data',
    payload: { temp_fahrenheit: 75, humidity: 60 },
    expect: { output: { celsius: 23, humidity: 60 } },
    note: 'The page shows "celsius": 23.89, but every operand is an Int and Int / Int is an Int (iot-sql-operators.md, / operator): 43 * 5 / 9 = 215 / 9 = 23.',
  },
  {
    source: `${URL} (Access members in embedded JSON objects)`,
    sql: "SET @device_sensor_data = device1.deviceData.sensors\nSELECT @device_sensor_data.temp_fahrenheit AS temp_fahrenheit, @device_sensor_data.humidity as humidity, device1.deviceId as deviceId FROM 'device/data'",
    topic: 'device/data',
    payload: {
      device1: { deviceId: 'weather_sensor', deviceData: { sensors: { temp_fahrenheit: 75, humidity: 60 }, location: [47.606, -122.332] } },
    },
    expect: { output: { temp_fahrenheit: 75, humidity: 60, deviceId: 'weather_sensor' } },
  },
  {
    source: `${URL} (Non-JSON payload usage)`,
    sql: "SET @encoded_payload = encode(*, 'base64')\nSELECT @encoded_payload AS raw_data FROM 'device/binary'",
    topic: 'device/binary',
    payloadBase64: 'AP8QgA==',
    expect: { output: { raw_data: 'AP8QgA==' } },
  },
  {
    source: `${URL} (Multiple variables; derived: a payload attribute instead of get_user_properties)`,
    sql: "SET @user_data = user, @threshold = 50\nSELECT @user_data.name, temp_fahrenheit FROM 'sensors/+'\nWHERE temp_fahrenheit > @threshold AND @user_data.active = true",
    topic: 'sensors/s1',
    payload: { user: { name: 'Ada', active: true }, temp_fahrenheit: 75 },
    expect: { output: { name: 'Ada', temp_fahrenheit: 75 } },
    note: 'An unaliased @v.name is named after its last segment, like an attribute a.name.',
  },
  {
    source: `${URL} (Multiple variables; derived: the WHERE clause is false)`,
    sql: "SET @user_data = user, @threshold = 50\nSELECT @user_data.name, temp_fahrenheit FROM 'sensors/+'\nWHERE temp_fahrenheit > @threshold AND @user_data.active = true",
    topic: 'sensors/s1',
    payload: { user: { name: 'Ada', active: false }, temp_fahrenheit: 75 },
    expect: { noMatch: true },
  },
  {
    source: `${USAGE} (derived: variables in other SET variable assignments)`,
    sql: "SET @a = 2, @b = @a * 10 SELECT @b AS b FROM 'device/data'",
    expect: { output: { b: 20 } },
  },
  {
    source: `${USAGE} (derived: variables in WHERE clauses)`,
    sql: "SET @limit = 50 SELECT * FROM 'device/data' WHERE humidity > @limit",
    payload: { humidity: 60 },
    expect: { output: { humidity: 60 } },
  },
  {
    source: `${USAGE} (derived: variables in nested SELECT queries)`,
    sql: "SET @name = 'light' SELECT (SELECT VALUE v FROM e WHERE n = @name) AS light FROM 'my/topic'",
    payload: SENML,
    expect: { output: { light: [135] } },
  },
  {
    source: `${USAGE} (derived: variables in function parameters)`,
    sql: "SET @s = 'Hello' SELECT upper(@s) AS u, length(@s) AS n FROM 'device/data'",
    expect: { output: { u: 'HELLO', n: 5 } },
  },
  {
    source: `${USAGE} (derived: a variable holding an object, read with JSON extension syntax and get())`,
    sql: "SET @loc = device.location SELECT @loc.lat AS lat, get(@loc, 'lon') AS lon FROM 'device/data'",
    payload: { device: { location: { lat: 47.6, lon: -122.3 } } },
    expect: { output: { lat: 47.6, lon: -122.3 } },
  },
  {
    source: `${USAGE} (derived: a variable holding Undefined behaves as Undefined)`,
    sql: "SET @m = missing SELECT @m AS m, isUndefined(@m) AS u FROM 'device/data'",
    payload: { x: 1 },
    expect: { output: { u: true } },
  },
  {
    source: `${SYNTAX} (derived: keywords are case-insensitive)`,
    sql: "set @x = 1 select @x as x from 'device/data'",
    expect: { output: { x: 1 } },
  },
  {
    source: `${SYNTAX} (derived: "Variable names can contain letters, numbers, and underscores")`,
    sql: "SET @Var_2 = 'ok' SELECT @Var_2 AS v FROM 'device/data'",
    expect: { output: { v: 'ok' } },
  },
  {
    source: `${SYNTAX} (derived: "Variable names can be up to 64 characters long")`,
    sql: `SET @${longName(64)} = 1 SELECT @${longName(64)} AS v FROM 'device/data'`,
    expect: { output: { v: 1 } },
  },
  {
    source: `${SYNTAX} (derived: a 65-character variable name is too long)`,
    sql: `SET @${longName(65)} = 1 SELECT 1 AS v FROM 'device/data'`,
    expect: invalidAt(1, 5),
    note: 'Documented limit; the error code (INVALID, not SYNTAX) and its place (the variable) are Sluice choices.',
  },
  {
    source: `${SYNTAX} (derived: "Each variable can only be assigned once")`,
    sql: "SET @a = 1, @a = 2 SELECT @a AS a FROM 'device/data'",
    expect: invalidAt(1, 13),
    note: 'The error code and its place (the second assignment) are Sluice choices.',
  },
  {
    source: `${SYNTAX} (derived: "The SET keyword can only be used once per SQL statement")`,
    sql: "SET @a = 1 SET @b = 2 SELECT @a AS a FROM 'device/data'",
    expect: syntaxErrorAt(1, 12),
  },
  {
    source: `${SYNTAX} (derived: "The SET clause must appear before the SELECT clause")`,
    sql: "SELECT 1 AS a FROM 'device/data' SET @a = 1",
    expect: syntaxErrorAt(1, 34),
  },
  {
    source: `${SYNTAX} (derived: "Start variable names with @")`,
    sql: "SET a = 1 SELECT 1 AS a FROM 'device/data'",
    expect: syntaxErrorAt(1, 5),
  },
  {
    source: `${URL} (derived: SET clause limits, "Maximum of 10 unique variables per SQL statement")`,
    sql: `SET ${Array.from({ length: 11 }, (_, i) => `@v${i} = ${i}`).join(', ')} SELECT 1 AS a FROM 'device/data'`,
    expect: invalidAt(1, 95),
    note: 'The error code and its place (the 11th variable) are Sluice choices.',
  },
  {
    source: `${USAGE} (derived: a variable that is never assigned)`,
    sql: "SELECT @nope AS n FROM 'device/data'",
    expect: invalidAt(1, 8),
    note: 'Documented choice: the page only says variables are defined by SET; Sluice rejects a reference to an unassigned one at compile time.',
  },
];
