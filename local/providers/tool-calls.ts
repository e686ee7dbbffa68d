/**
 * Simulated function calling, so tool-use round trips can run against the simulated providers.
 * A request with function tools (and `tool_choice` not "none") whose last message is the user's
 * gets a call of one tool instead of text: the tool named by `tool_choice`, else the first one, with
 * arguments filled from its JSON Schema (every required property, strings taken from the prompt). A
 * request whose last message is a tool result gets a text answer, as a real model would give.
 */
import { randomBytes } from 'node:crypto';

export interface PlannedToolCall {
  id: string;
  name: string;
  arguments: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function sampleValue(schema: unknown, text: string): unknown {
  const s = isObj(schema) ? schema : {};
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  switch (s.type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [sampleValue(s.items, text)];
    case 'object':
      return sampleObject(s, text);
    default:
      return text;
  }
}

/** Arguments that satisfy a tool's JSON Schema: every required property (or the first), strings from `text`. */
export function sampleObject(schema: Obj, text: string): Obj {
  const props = isObj(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [];
  const out: Obj = {};
  for (const name of required.length ? required : Object.keys(props).slice(0, 1)) {
    out[name] = sampleValue(props[name], text);
  }
  return out;
}

/** The call the simulated model makes for this request body, or undefined when it answers in text. */
export function plannedToolCall(body: Obj, promptText: string): PlannedToolCall | undefined {
  const tools = Array.isArray(body.tools) ? body.tools.filter((t) => isObj(t) && isObj(t.function)) : [];
  if (tools.length === 0 || body.tool_choice === 'none') return undefined;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages[messages.length - 1];
  if (!isObj(last) || last.role !== 'user') return undefined;
  const choice = body.tool_choice;
  const wanted = isObj(choice) && isObj(choice.function) ? choice.function.name : undefined;
  const tool = (tools.find((t) => (t.function as Obj).name === wanted) ?? tools[0]).function as Obj;
  const text = promptText.trim().split(/\s+/).slice(0, 4).join(' ') || 'x';
  return {
    id: `call_${randomBytes(12).toString('hex')}`,
    name: String(tool.name ?? ''),
    arguments: JSON.stringify(sampleObject(isObj(tool.parameters) ? tool.parameters : {}, text)),
  };
}
