// Jest transform: import a .proto (or other text asset) as its text, like esbuild's text loader.
module.exports = {
  process(sourceText) {
    return { code: `module.exports = { __esModule: true, default: ${JSON.stringify(sourceText)} };` };
  },
};
