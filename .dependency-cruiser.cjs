/**
 * The layers (docs/architecture.md, Layers), bottom first. A module may import from its own layer
 * and the layers below, never above; no module imports itself back through a cycle.
 * `npm run check:deps` (run by .ci/run) fails on either.
 */
const layers = [
  ['foundation', '^src/(time|config|wecom)/|^src/(errors|logger|describe-error)\\.ts$|^src/metrics/metrics\\.ts$'],
  ['persistence', '^src/db/|^migrations/'],
  ['outbox', '^src/outbox/'],
  ['domain', '^src/(domain|read-model)/'],
  ['application', '^src/(bot|jobs)/|^commands/'],
  ['transport', '^src/(delivery|http|scheduler)/'],
  ['entry', '^src/(service|cli)/|^src/main\\.ts$|^ormconfig\\.ts$'],
]

const upward = layers.slice(0, -1).map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} may import only from its own layer and those below it (docs/architecture.md, Layers)`,
  severity: 'error',
  from: { path },
  to: { path: layers.slice(i + 1).map(([, above]) => above).join('|') },
}))

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-persistence-in-commands-or-jobs',
      comment: 'commands and jobs call domain services and the read model, never a repository or SQL: from src/db only types (docs/architecture.md, Layers)',
      severity: 'error',
      from: { path: '^commands/|^src/jobs/' },
      to: { path: '^src/db/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'modules that import each other, directly or through others',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unlayered',
      comment: 'every module of the service belongs to a layer: add a new folder to .dependency-cruiser.cjs and docs/architecture.md',
      severity: 'error',
      from: { path: '^(src|commands|migrations)/', pathNot: layers.map(([, path]) => path).join('|') },
      to: {},
    },
    {
      name: 'no-unlayered',
      comment: 'every module of the service belongs to a layer: add a new folder to .dependency-cruiser.cjs and docs/architecture.md',
      severity: 'error',
      from: {},
      to: { path: '^(src|commands|migrations)/', pathNot: layers.map(([, path]) => path).join('|') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
}
