/** The local runtime's one line per request (readable, or JSON with --json). */
import { formatRequestLog } from '../../local/request-log';

const base = { method: 'POST', path: '/v1/chat/completions', status: 200, ms: 42, version: '1' };

describe('formatRequestLog', () => {
  it('prints the decision in one readable line', () => {
    const line = formatRequestLog(
      {
        ...base,
        headers: {
          'content-type': 'application/json',
          'x-switchyard-model': 'deepseek-v3.2',
          'x-switchyard-route': 'auto',
          'x-switchyard-intent': 'code',
          'x-switchyard-attempts': 'gpt-4.1:503,deepseek-v3.2:200',
          'x-switchyard-cost-usd': '0.000025',
          'x-switchyard-overhead-ms': '3',
        },
      },
      'text',
    );
    expect(line).toMatch(
      /^\d\d:\d\d:\d\d POST \/v1\/chat\/completions 200 42ms model=deepseek-v3.2 route=auto intent=code attempts=gpt-4.1:503,deepseek-v3.2:200 cost=\$0.000025 overhead=3ms$/,
    );
    expect(line.split('\n')).toHaveLength(1);
  });

  it('says when the response cache answered (or missed)', () => {
    const headers = {
      'content-type': 'application/json',
      'x-switchyard-model': 'gpt-4.1',
      'x-switchyard-cache': 'hit',
    };
    expect(formatRequestLog({ ...base, headers }, 'text')).toMatch(/ model=gpt-4\.1 cache=hit$/);
    expect(JSON.parse(formatRequestLog({ ...base, headers }, 'json'))).toMatchObject({ cache: 'hit' });
  });

  it('marks a stream (the time is to the response head) and gives JSON with --json', () => {
    const log = {
      ...base,
      headers: {
        'content-type': 'text/event-stream',
        'x-switchyard-model': 'gpt-4.1',
        'x-switchyard-route': 'direct',
        'x-request-id': 'r-1',
      },
    };
    expect(formatRequestLog(log, 'text')).toContain('200 42ms to head (stream) model=gpt-4.1');
    expect(formatRequestLog(log, 'text')).not.toContain('route=');
    expect(JSON.parse(formatRequestLog(log, 'json'))).toMatchObject({
      status: 200,
      ms: 42,
      stream: true,
      model: 'gpt-4.1',
      requestId: 'r-1',
      version: '1',
    });
  });
});
