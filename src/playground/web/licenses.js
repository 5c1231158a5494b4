// Writes dist/LICENSES.txt: the license of every npm package bundled into
// dist/playground.js (CodeMirror and what it depends on), as their licenses
// ask copies to carry them.
const fs = require('fs');
const path = require('path');

const lock = JSON.parse(fs.readFileSync(path.join(__dirname, 'package-lock.json'), 'utf8'));
const out = [];
for (const [where, info] of Object.entries(lock.packages)) {
  if (!where || info.dev) continue;
  const dir = path.join(__dirname, where);
  const file = fs.readdirSync(dir).find((name) => /^licen[cs]e/i.test(name));
  const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${info.license}`;
  out.push(`${where.replace(/^node_modules\//, '')} ${info.version}\n\n${text}\n`);
}
fs.writeFileSync(path.join(__dirname, 'dist', 'LICENSES.txt'), out.join('\n' + '-'.repeat(72) + '\n\n'));
