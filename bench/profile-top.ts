/**
 * The functions with the most self time in V8 CPU profiles (.cpuprofile, e.g. from
 * `PROFILE_DIR=/tmp/prof npm run bench:callback`): self time summed by function name and file
 * over every sample, the top N (default 10) per profile.
 *
 *   npx tsx bench/profile-top.ts /tmp/prof/*.cpuprofile [N]
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const args = process.argv.slice(2)
const top = /^\d+$/.test(args.at(-1) ?? '') ? Number(args.pop()) : 10

for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '')}:${lineNumber + 1}` : ''
    const key = `${functionName || '(anonymous)'} ${where}`.trim()
    self.set(key, (self.get(key) ?? 0) + delta)
    total += delta
  })
  console.log(`${basename(file)}: ${(total / 1e6).toFixed(2)} s sampled`)
  for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${(micros / 1e6).toFixed(3).padStart(7)} s  ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`)
  }
}
