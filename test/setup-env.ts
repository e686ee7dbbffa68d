// Jest setup shared by every test file (kept tiny: it runs before each file).
// The AWS SDK warns once per process that Node 20 support ends in 2027; the Lambda runtime is nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
