import { createDynamoClient, isLoopbackEndpoint } from '../../functions/adapters/dynamo/client';

describe('which credentials the DynamoDB client uses', () => {
  it.each([
    ['http://127.0.0.1:8000', true],
    ['http://localhost:8000', true],
    ['http://127.5.0.1', true],
    ['http://[::1]:8000', true],
    ['https://dynamodb.eu-west-1.amazonaws.com', false],
    ['http://dynamodb-local:8000', false],
    ['http://10.0.0.5:8000', false],
    ['http://127.0.0.1.example.com', false],
    ['not a url', false],
  ])('%s is loopback: %s', (url, expected) => {
    expect(isLoopbackEndpoint(url)).toBe(expected);
  });

  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('a loopback endpoint gets fixed fake credentials, whatever the environment holds', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENVIRONMENT';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-environment';
    const c = createDynamoClient({ SWITCHYARD_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' });
    expect((await c.config.credentials()).accessKeyId).toBe('local');
    c.destroy();
  });

  it('any other endpoint gets the default chain (here: the environment) and the given region', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENVIRONMENT';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-environment';
    const c = createDynamoClient({
      SWITCHYARD_DYNAMODB_ENDPOINT: 'https://dynamodb.eu-west-1.amazonaws.com',
      AWS_REGION: 'eu-west-1',
    });
    expect((await c.config.credentials()).accessKeyId).toBe('AKIDFROMENVIRONMENT');
    expect(await c.config.region()).toBe('eu-west-1');
    c.destroy();
  });
});
