/**
 * The rules engine's public surface: the AWS IoT SQL dialect (parse, compile,
 * evaluate), substitution templates, and topic-filter matching. Pure: no I/O.
 */
export { decodeMessage, type DecodedMessage, type JsonResult, type MessageContext } from './eval/message.js';
export { AWS_LAMBDA_TIMEOUT_MS, compileRule, lambdaTargets, outputKey, type CompiledRule, type FunctionInvoker, type RuleOptions, type RuleEvaluation, type RuleOutput } from './rule.js';
export { compileTemplate, type CompiledTemplate, type TemplateOptions } from './template.js';
export { TopicIndex } from './topic/index.js';
export { BASIC_INGEST_PREFIX, basicIngestTarget, topicMatchesFilter, validateTopicFilter, validateTopicName } from './topic/filter.js';
export { parseExpression, parseSql } from './sql/parser.js';
export { BUILTIN_FUNCTIONS, type BuiltinFunction, type FunctionContext } from './eval/functions.js';
export type * from './sql/ast.js';
export { DEFAULT_SQL_VERSION, SQL_VERSIONS } from './sql/ast.js';
