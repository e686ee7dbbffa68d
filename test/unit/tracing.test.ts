/** The tracing port's Powertools adapter: one subsegment per attempt, GenAI attribute names, never a failure. */
import { createPowertoolsTracing, type SubsegmentLike } from '../../functions/adapters/telemetry/powertools-tracing';
import type { RequestSummary } from '../../functions/core/telemetry/request-summary';
import { GEN_AI, noopTracing } from '../../functions/ports/tracing';

function fakeSegment() {
  const subs: Array<{
    name: string;
    annotations: Record<string, unknown>;
    metadata: unknown[];
    closed: boolean;
    error: boolean;
  }> = [];
  return {
    subs,
    segment: () => ({
      addNewSubsegment(name: string): SubsegmentLike {
        const s = {
          name,
          annotations: {} as Record<string, unknown>,
          metadata: [] as unknown[],
          closed: false,
          error: false,
        };
        subs.push(s);
        return {
          addAnnotation: (k, v) => void (s.annotations[k] = v),
          addMetadata: (k, v, ns) => void s.metadata.push([ns, k, v]),
          addErrorFlag: () => void (s.error = true),
          close: () => void (s.closed = true),
        };
      },
    }),
  };
}

describe('Powertools tracing adapter', () => {
  it('opens one subsegment per attempt with the OpenTelemetry GenAI attributes, and closes it', () => {
    const fake = fakeSegment();
    const tracing = createPowertoolsTracing({ segment: fake.segment });
    const first = tracing.startAttempt({
      system: 'openai',
      model: 'gpt-4.1',
      endpoint: 'openai-gpt-4.1',
      operation: 'chat',
      route: 'auto',
      attempt: 1,
      fallback: false,
      maxTokens: 64,
    });
    first.end({ ok: false, outcome: 503 });
    first.end({ ok: false, outcome: 503 }); // ending twice is harmless
    tracing
      .startAttempt({
        system: 'google',
        model: 'gemini-2.5-flash',
        endpoint: 'google-gemini-2.5-flash',
        operation: 'chat',
        route: null,
        attempt: 2,
        fallback: true,
      })
      .end({ ok: true, outcome: 200, inputTokens: 11, outputTokens: 7 });

    expect(fake.subs.map((s) => [s.name, s.closed, s.error])).toEqual([
      ['upstream gpt-4.1', true, true],
      ['upstream gemini-2.5-flash', true, false],
    ]);
    expect(fake.subs[0].annotations).toMatchObject({
      gen_ai_system: 'openai',
      gen_ai_operation_name: 'chat',
      gen_ai_request_model: 'gpt-4.1',
      gen_ai_request_max_tokens: 64,
      switchyard_route: 'auto',
      switchyard_attempt: 1,
      switchyard_fallback: false,
      error_type: '503',
    });
    expect(fake.subs[1].annotations).toMatchObject({
      switchyard_route: 'direct',
      switchyard_fallback: true,
      gen_ai_usage_input_tokens: 11,
      gen_ai_usage_output_tokens: 7,
    });
    expect(fake.subs[1].annotations.error_type).toBeUndefined();
    // The exact OpenTelemetry names are kept as metadata.
    expect(fake.subs[1].metadata).toContainEqual([
      'gen_ai',
      'attributes',
      expect.objectContaining({ [GEN_AI.inputTokens]: 11 }),
    ]);
  });

  it('records the request totals (usage, route, fallbacks) once the request is done', () => {
    const fake = fakeSegment();
    createPowertoolsTracing({ segment: fake.segment }).requestDone({
      model: 'deepseek-v3.2',
      route: 'auto',
      promptTokens: 20,
      completionTokens: 5,
      fallbacks: 1,
      attempts: [{}, {}],
      status: 200,
    } as unknown as RequestSummary);
    expect(fake.subs[0].annotations).toMatchObject({
      gen_ai_response_model: 'deepseek-v3.2',
      gen_ai_usage_input_tokens: 20,
      gen_ai_usage_output_tokens: 5,
      switchyard_fallbacks: 1,
    });
  });

  it('never breaks a request: no segment, or a failing one, is a no-op', () => {
    const none = createPowertoolsTracing({ segment: () => undefined });
    expect(() => none.startAttempt({} as never).end({ ok: true, outcome: 200 })).not.toThrow();
    const broken = createPowertoolsTracing({
      segment: () => {
        throw new Error('no context');
      },
    });
    expect(() => broken.requestDone({} as RequestSummary)).not.toThrow();
    expect(() => noopTracing.startAttempt({} as never).end({ ok: false, outcome: 'timeout' })).not.toThrow();
  });
});
