/** OpenAI chat completions <-> Amazon Bedrock Converse / ConverseStream, both ways, pure. */
export { bedrockErrorOf, type BedrockErrorMapping } from './errors';
export { isClaudeModel, JSON_TOOL_NAME, toConverseRequest, TranslationError, type TranslatedRequest } from './request';
export { finishReason, fromConverseOutput, openAIUsage, type CompletionMeta } from './response';
export { ConverseStreamTranslator, type StreamItem } from './stream';
export type * from './types';
