/**
 * Request body limits, declared once for the config schema (the router's 413), the WAF rule (the
 * stack's opt-in web ACL) and the local emulator.
 *
 * Lambda refuses a synchronous invocation whose payload exceeds 6 MB (6,291,456 bytes), and API
 * Gateway then answers the client with a 5xx; API Gateway itself only refuses bodies over 10 MB
 * (answered 413). The proxy event carries the body JSON-escaped next to the headers, so the body a
 * router can safely be sent is well under 6 MB: the router's limit is capped at MAX_ROUTER_BODY_BYTES,
 * and bodies between that cap and 10 MB are refused with a 413 before Lambda by the web ACL
 * (Content-Length) when it is on. Without it, a 6-10 MB body still ends as API Gateway's 5xx:
 * docs/operations/deploy.md says so.
 */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** The largest `gateway.maxBodyBytes` the config may set: 4 MiB, leaving 2 MiB for escaping and headers. */
export const MAX_ROUTER_BODY_BYTES = 4 * 1024 * 1024;
/**
 * The web ACL's Content-Length refusal: at least 4,500,000 bytes (between the router's cap and the
 * point where Lambda's limit can be reached). A regular expression, because WAF reads the header as
 * text: 7 digits from 4,500,000, or 8 and more digits.
 */
export const WAF_BODY_LIMIT_BYTES = 4_500_000;
export const WAF_CONTENT_LENGTH_REGEX = '^(4[5-9][0-9]{5}|[5-9][0-9]{6}|[1-9][0-9]{7,})$';
