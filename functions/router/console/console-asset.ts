/** One static file of the operator console, as the router serves it. */
export interface ConsoleAsset {
  contentType: string;
  body: string;
}
