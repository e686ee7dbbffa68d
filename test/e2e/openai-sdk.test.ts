/** The official openai SDK, unchanged, pointed at the local gateway. */
import OpenAI from 'openai';
import type { LocalGateway } from '../../local/gateway';
import { expectedReply } from '../../local/providers';
import { startTestGateway } from '../helpers/local-gateway';

describe('official openai SDK against the local gateway', () => {
  let gw: LocalGateway;
  let client: OpenAI;
  beforeAll(async () => {
    gw = await startTestGateway();
    client = new OpenAI({ baseURL: gw.baseUrl, apiKey: gw.demoKey, maxRetries: 0 });
  });
  afterAll(() => gw.close());

  it('creates a chat completion', async () => {
    const messages = [{ role: 'user' as const, content: 'Say hi to Switchyard' }];
    const { data, response } = await client.chat.completions
      .create({ model: 'gemini-2.5-flash', messages })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message.content).toBe(expectedReply('gemini-2.5-flash', messages));
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-model')).toBe('gemini-2.5-flash');
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4.1', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2']));
  });

  it('retrieves one model or route, without provider URLs or key names', async () => {
    const model = await client.models.retrieve('deepseek-v3.2');
    expect(model).toMatchObject({ id: 'deepseek-v3.2', object: 'model', owned_by: 'deepseek' });
    expect(JSON.stringify(model)).not.toMatch(/https?:|apiKeyRef|_API_KEY/);
    expect((await client.models.retrieve('auto')).owned_by).toBe('switchyard');
    await expect(client.models.retrieve('gpt-9')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('surfaces gateway errors as the SDK error classes', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const bad = new OpenAI({ baseURL: gw.baseUrl, apiKey: 'sk-sy-wrong-key-000000000000000000', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
