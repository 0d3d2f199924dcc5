#!/usr/bin/env node
// Checks files with sfp's own code, from the sfp package that
// scripts/install-tools.sh installs (RELMAN_TEST_SFP is its directory):
//
//   node scripts/sfp/validate.js SFP_DIR definition FILE...
//     each release definition against sfp's release-defn.schema.json (with
//     the ajv sfp ships), then through ReleaseDefinitionLoader, the code
//     `sfp release` reads a definition with (its schema and its
//     baselineOrg rule; js-yaml as sfp reads YAML);
//   node scripts/sfp/validate.js SFP_DIR config FILE...
//     each release config against release-config.schema.json, then through
//     the constructor of ReleaseDefinitionGenerator, which is where
//     `sfp releasedefinition generate` refuses a config.
//
// It prints one JSON object per file, one a line:
//   {"file": ..., "schema": [ajv errors], "loader": "sfp's error" | null}
// and exits 0 when it could check every file (whatever the verdicts), 2 on
// bad usage or an sfp package it cannot load.
'use strict';

const fs = require('fs');
const path = require('path');

function main(argv) {
  const [sfpDir, kind, ...files] = argv;
  if (!sfpDir || !['definition', 'config'].includes(kind) || files.length === 0) {
    console.error('usage: validate.js SFP_DIR definition|config FILE...');
    return 2;
  }
  const pkg = path.join(sfpDir, 'package.json');
  if (!fs.existsSync(pkg)) {
    console.error(`${sfpDir}: no sfp package here (no package.json): run scripts/install-tools.sh`);
    return 2;
  }
  // Resolve dependencies as sfp's own modules do.
  const req = (m) => require(require.resolve(m, { paths: [sfpDir] }));
  const Ajv = req('ajv').default || req('ajv');
  const yaml = req('js-yaml');
  const schemaFile = path.join(sfpDir, 'resources', 'schemas',
    kind === 'definition' ? 'release-defn.schema.json' : 'release-config.schema.json');
  const validate = new Ajv({ allErrors: true }).compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
  const Loader = require(path.join(sfpDir, 'lib', 'impl', 'release', 'ReleaseDefinitionLoader.js')).default;
  const Generator = require(path.join(sfpDir, 'lib', 'impl', 'release', 'ReleaseDefinitionGenerator.js')).default;

  return (async () => {
    for (const file of files) {
      const out = { file, schema: [], loader: null };
      try {
        const doc = yaml.load(fs.readFileSync(file, 'utf8'));
        if (!validate(doc)) {
          out.schema = validate.errors.map((e) => ({ path: e.instancePath, keyword: e.keyword, message: e.message, params: e.params }));
        }
      } catch (e) {
        out.schema = [{ path: '', keyword: 'yaml', message: String(e && e.message || e) }];
      }
      try {
        if (kind === 'definition') {
          // A path with ':' would make sfp read it from git (REF:PATH).
          if (file.includes(':')) throw new Error(`${file}: a path with ':' is read from git by sfp; use another path`);
          await Loader.loadReleaseDefinition(file);
        } else {
          const silent = { log() {} };
          new Generator(silent, 'HEAD', file, 'check', undefined, undefined, undefined, true);
        }
      } catch (e) {
        out.loader = String(e && e.message || e);
      }
      console.log(JSON.stringify(out));
    }
    return 0;
  })();
}

Promise.resolve(main(process.argv.slice(2))).then((code) => { process.exitCode = code; }, (e) => {
  console.error(e && e.stack || e);
  process.exitCode = 2;
});
