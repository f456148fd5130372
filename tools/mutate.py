#!/usr/bin/env python3
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

"""Mutation testing of the validation core against its unit tests.

A seeded random sample of mutants of src/ims_*.c, each built into the
unit-test binary (t/unit/*.c + the core, -O1, no sanitizers) in a copy of
the tree and run with a timeout.  A mutant is killed when the binary fails
(or times out), survives when it passes, and does not count when it does
not compile under the project's warnings (-Werror: such a change could not
land).  The score is killed / compiled.  A mutant whose object file is
byte for byte the original's (code in an inactive #if branch, or folded
away by the compiler) is reported apart: "object code unchanged", counted
as compiled and not killed, with a second score that leaves it out.

Kinds of mutation:
  relop     a relational operator flipped: < <= > >= == != (its boundary
            twin and its negation: < becomes <= and >=, == becomes !=)
  negate    the condition of an if or while negated
  const     an integer or character constant off by one (+1 and -1),
            decimal, hex and char literals alike
  logic     && <-> ||
  code      an IMS error code (IMS_IMG_xxxx) swapped for another

  tools/mutate.py --seed 14 --count 200         the sample, run
  tools/mutate.py --list --seed 14 --count 200  the sample, not run
  tools/mutate.py --ids FILE                    only the mutants whose ids
                                                (one a line) FILE lists
  tools/mutate.py --rerun build/mutate/results.json
                                                the survivors of a run again

Options: --tree DIR (the tree to copy, default this checkout: use a
worktree while src/ is mid-edit), --exclude PATH (repeatable; by
default every src/ims_*.c is in; --exclude none is the same), --jobs N,
--timeout S (per test run),
--sanitize (ASan + UBSan, as make unit builds the tests: slower, and
kills the mutants that only read or write out of bounds), --out DIR
(default build/mutate).  Stdlib only.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))

CC = os.environ.get('CC', 'gcc')
CFLAGS = ['-O1', '-g0', '-Wall', '-Wextra', '-Werror',
          '-Wno-unused-parameter', '-Isrc']
LIBS = ['-ljansson']
# --sanitize: as make unit builds them, so that a mutant that only reads or
# writes out of bounds is caught too
SANITIZE = ['-fsanitize=address,undefined', '-fno-omit-frame-pointer',
            '-fno-sanitize-recover=all']


IMS_CODES = ['IMS_IMG_0001', 'IMS_IMG_0002', 'IMS_IMG_0003', 'IMS_IMG_0004',
             'IMS_IMG_0007', 'IMS_IMG_0013', 'IMS_IMG_0017', 'IMS_IMG_0024',
             'IMS_IMG_0054', 'IMS_IMG_0066', 'IMS_IMG_0105', 'IMS_IMG_0122']

RELOP_FLIPS = {
    '<': ['<=', '>='],
    '<=': ['<', '>'],
    '>': ['>=', '<='],
    '>=': ['>', '<'],
    '==': ['!='],
    '!=': ['=='],
}

# longest first
PUNCT = ['<<=', '>>=', '...', '->', '++', '--', '<<', '>>', '<=', '>=',
         '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '|=',
         '^=', '##']

NUMBER = re.compile(r'(0[xX][0-9a-fA-F]+|[0-9]+)([uUlL]*)(?![.\w])')


# ---------------------------------------------------------------- lexing

def tokens(text):
    """(kind, start, end) for every token outside comments and strings;
    kind: id, num, char, str, punct, pp (a preprocessor line, whole)."""
    out = []
    i, n = 0, len(text)
    bol = True                      # only whitespace since the line began

    while i < n:
        c = text[i]

        if c == '\n':
            bol = True
            i += 1
            continue

        if c in ' \t\r\f\v':
            i += 1
            continue

        if c == '#' and bol:
            # a directive, continued lines included; #define bodies are
            # lexed on (their numbers are constants of the code)
            j = i
            while True:
                k = text.find('\n', j)
                if k < 0:
                    k = n
                if k > 0 and text[k - 1] == '\\':
                    j = k + 1
                    continue
                break
            line = text[i:k]
            m = re.match(r'#\s*define\s+\w+(\([^)]*\))?', line)
            if m:
                out.extend(tokens_of_define(text, i + m.end(), k))
            out.append(('pp', i, k))
            i = k
            continue

        bol = False

        if text.startswith('//', i):
            k = text.find('\n', i)
            i = n if k < 0 else k
            continue

        if text.startswith('/*', i):
            k = text.find('*/', i + 2)
            i = n if k < 0 else k + 2
            continue

        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(('str' if c == '"' else 'char', i, j + 1))
            i = j + 1
            continue

        if c.isalpha() or c == '_':
            j = i
            while j < n and (text[j].isalnum() or text[j] == '_'):
                j += 1
            out.append(('id', i, j))
            i = j
            continue

        if c.isdigit():
            m = re.compile(r'[0-9a-zA-Z_.]+').match(text, i)
            out.append(('num', i, m.end()))
            i = m.end()
            continue

        for p in PUNCT:
            if text.startswith(p, i):
                out.append(('punct', i, i + len(p)))
                i += len(p)
                break
        else:
            out.append(('punct', i, i + 1))
            i += 1

    return out


def tokens_of_define(text, start, end):
    sub = text[start:end].replace('\\\n', '  ')
    return [(k, s + start, e + start) for k, s, e in tokens(sub)
            if k in ('num', 'char')]


# ---------------------------------------------------------- the mutants

def char_value(lit):
    body = lit[1:-1]
    simple = {'n': 10, 't': 9, 'r': 13, '0': 0, '\\': 92, "'": 39,
              '"': 34, 'a': 7, 'b': 8, 'f': 12, 'v': 11, '?': 63}
    if body.startswith('\\x'):
        return int(body[2:], 16)
    if body.startswith('\\') and len(body) > 1 and body[1] in '01234567' \
            and len(body) > 2:
        return int(body[1:], 8)
    if body.startswith('\\'):
        return simple.get(body[1])
    if len(body) == 1:
        return ord(body)
    return None


def char_literal(v):
    if 0x20 <= v < 0x7f and chr(v) not in "'\\":
        return "'%s'" % chr(v)
    return "'\\x%02x'" % v


def line_col(text, pos):
    line = text.count('\n', 0, pos) + 1
    col = pos - (text.rfind('\n', 0, pos) + 1) + 1
    return line, col


def mutants_of(path, text, rng):
    """Every mutant of one file: dicts with the edit and a stable id."""
    toks = tokens(text)
    out = []

    def add(kind, edits, new, what):
        line, col = line_col(text, edits[0][0])
        out.append({
            'id': '%s:%d:%d:%s:%s' % (path, line, col, kind, new),
            'file': path, 'line': line, 'col': col, 'kind': kind,
            'edits': edits, 'what': what,
        })

    for idx, (kind, s, e) in enumerate(toks):
        tok = text[s:e]

        if kind == 'punct' and tok in RELOP_FLIPS:
            for new in RELOP_FLIPS[tok]:
                add('relop', [(s, e, new)], new, '%s -> %s' % (tok, new))

        elif kind == 'punct' and tok in ('&&', '||'):
            new = '||' if tok == '&&' else '&&'
            add('logic', [(s, e, new)], new, '%s -> %s' % (tok, new))

        elif kind == 'num':
            m = NUMBER.fullmatch(tok)
            if not m:
                continue
            digits, suffix = m.group(1), m.group(2)
            hexa = digits[:2] in ('0x', '0X')
            v = int(digits, 16 if hexa else 10)
            for d in (1, -1):
                w = v + d
                if w < 0:
                    continue
                new = (('0x%0*x' % (len(digits) - 2, w)) if hexa
                       else str(w)) + suffix
                add('const', [(s, e, new)], new, '%s -> %s' % (tok, new))

        elif kind == 'char':
            v = char_value(tok)
            if v is None:
                continue
            for d in (1, -1):
                w = v + d
                if 0 <= w <= 0xff:
                    new = char_literal(w)
                    add('const', [(s, e, new)], new, '%s -> %s' % (tok, new))

        elif kind == 'id' and tok in IMS_CODES:
            new = rng.choice([c for c in IMS_CODES if c != tok])
            add('code', [(s, e, new)], new, '%s -> %s' % (tok, new))

        elif kind == 'id' and tok in ('if', 'while') \
                and idx + 1 < len(toks) and text[toks[idx + 1][1]] == '(':
            # the matching ")"
            depth, j = 0, idx + 1
            while j < len(toks):
                t = text[toks[j][1]:toks[j][2]]
                if t == '(':
                    depth += 1
                elif t == ')':
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j == len(toks):
                continue
            lp, rp = toks[idx + 1], toks[j]
            cond = ' '.join(text[lp[2]:rp[1]].split())
            if len(cond) > 60:
                cond = cond[:57] + '...'
            add('negate', [(lp[1], lp[2], '(!('), (rp[1], rp[2], '))')],
                '!', '%s (%s) -> %s (!(...))' % (tok, cond, tok))

    return out


def apply(text, edits):
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


# -------------------------------------------------------- building, running

class Workdir:
    """A copy of the core and its unit tests, objects prebuilt; a mutant
    rewrites one file, recompiles it, relinks, runs, and restores it."""

    def __init__(self, tree, base, timeout, sanitize):
        self.dir = tempfile.mkdtemp(prefix='ims-mutate-', dir=base)
        self.timeout = timeout
        self.cflags = CFLAGS + (SANITIZE if sanitize else [])
        self.ldflags = SANITIZE if sanitize else []
        for sub in ('src', 't/unit'):
            shutil.copytree(os.path.join(tree, sub),
                            os.path.join(self.dir, sub))
        self.units = sorted(glob.glob(os.path.join(self.dir, 't/unit/*.c')))
        self.cores = sorted(glob.glob(os.path.join(self.dir, 'src/ims_*.c')))
        os.makedirs(os.path.join(self.dir, 'obj'))
        for src in self.units + self.cores:
            r = self.compile(src)
            if r.returncode:
                raise SystemExit('the unmutated tree does not build:\n'
                                 + r.stderr.decode(errors='replace'))
        r = self.link()
        if r.returncode:
            raise SystemExit('the unmutated tree does not link:\n'
                             + r.stderr.decode(errors='replace'))
        state, detail = self.run_tests()
        if state != 'passed':
            raise SystemExit('the unmutated tree fails its unit tests: '
                             + detail)
        self.pristine = {}
        for src in self.cores:
            with open(self.obj(src), 'rb') as f:
                self.pristine[src] = f.read()

    def obj(self, src):
        rel = os.path.relpath(src, self.dir).replace('/', '_')
        return os.path.join(self.dir, 'obj', rel[:-2] + '.o')

    def compile(self, src):
        return subprocess.run([CC] + self.cflags + ['-c', '-o',
                                                    self.obj(src), src],
                              cwd=self.dir, capture_output=True,
                              timeout=300)

    def link(self):
        objs = [self.obj(s) for s in self.units + self.cores]
        return subprocess.run([CC, '-o', os.path.join(self.dir, 'ims-unit')]
                              + self.ldflags + objs + LIBS, cwd=self.dir,
                              capture_output=True, timeout=300)

    def run_tests(self):
        """'passed', 'failed' or 'timeout', and a line of the output."""
        try:
            r = subprocess.run([os.path.join(self.dir, 'ims-unit')],
                               cwd=self.dir, capture_output=True,
                               timeout=self.timeout)
        except subprocess.TimeoutExpired:
            return 'timeout', ''
        out = r.stdout.decode(errors='replace').splitlines()
        first = next((l for l in out if l.startswith('FAIL')), '')
        if r.returncode == 0:
            return 'passed', out[-1] if out else ''
        if r.returncode < 0:
            return 'failed', 'signal %d' % -r.returncode
        return 'failed', first[:160]

    def try_mutant(self, m, original):
        path = os.path.join(self.dir, m['file'])
        with open(path, 'w') as f:
            f.write(apply(original, m['edits']))
        try:
            r = self.compile(path)
            if r.returncode:
                return 'uncompiled', ''
            # code the compiler drops (an #else branch) or folds away
            with open(self.obj(path), 'rb') as f:
                if f.read() == self.pristine[path]:
                    return 'identical', ''
            if self.link().returncode:
                return 'uncompiled', 'link'
            state, detail = self.run_tests()
            return ('survived' if state == 'passed' else 'killed'), \
                (detail if state != 'timeout' else 'timeout')
        finally:
            with open(path, 'w') as f:
                f.write(original)
            with open(self.obj(path), 'wb') as f:
                f.write(self.pristine[path])

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, default=14)
    ap.add_argument('--count', type=int, default=200)
    ap.add_argument('--tree', default=TOP)
    ap.add_argument('--exclude', action='append')
    ap.add_argument('--jobs', type=int, default=1)
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--sanitize', action='store_true')
    ap.add_argument('--out', default=os.path.join(TOP, 'build', 'mutate'))
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--ids')
    ap.add_argument('--rerun')
    args = ap.parse_args()

    tree = os.path.abspath(args.tree)
    exclude = set(args.exclude or [])
    files = sorted(os.path.relpath(p, tree)
                   for p in glob.glob(os.path.join(tree, 'src/ims_*.c')))
    files = [f for f in files if f not in exclude]

    rng = random.Random(args.seed)
    sources, pool = {}, []
    for f in files:
        with open(os.path.join(tree, f)) as fh:
            sources[f] = fh.read()
        pool.extend(mutants_of(f, sources[f], rng))

    if args.ids or args.rerun:
        if args.ids:
            with open(args.ids) as fh:
                want = [l.strip() for l in fh if l.strip()
                        and not l.startswith('#')]
        else:
            with open(args.rerun) as fh:
                want = [r['id'] for r in json.load(fh)['results']
                        if r['state'] == 'survived']
        by_id = {m['id']: m for m in pool}
        missing = [i for i in want if i not in by_id]
        if missing:
            print('not a mutant of this tree (did the file change?):',
                  *missing, sep='\n  ')
        sample = [by_id[i] for i in want if i in by_id]
    else:
        sample = rng.sample(pool, min(args.count, len(pool)))
        sample.sort(key=lambda m: (m['file'], m['line'], m['col'], m['id']))

    kinds = {}
    for m in pool:
        kinds[m['kind']] = kinds.get(m['kind'], 0) + 1
    print('mutate: %d mutants in %s (%s); %d to run, seed %d'
          % (len(pool), ', '.join(files),
             ', '.join('%s %d' % kv for kv in sorted(kinds.items())),
             len(sample), args.seed))

    if args.list:
        for m in sample:
            print('  %s:%d  %-6s %s' % (m['file'], m['line'], m['kind'],
                                        m['what']))
        return 0

    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    jobs = max(1, args.jobs)
    workers = [Workdir(tree, args.out, args.timeout, args.sanitize)
               for _ in range(jobs)]
    print('mutate: %d work copies built in %.0f s' % (jobs, time.time() - t0))

    results = [None] * len(sample)
    free = list(range(jobs))

    def one(i):
        w = workers[free.pop()]
        try:
            m = sample[i]
            state, detail = w.try_mutant(m, sources[m['file']])
        finally:
            free.append(workers.index(w))
        return i, state, detail

    done = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
            for i, state, detail in ex.map(one, range(len(sample))):
                m = sample[i]
                results[i] = {'id': m['id'], 'file': m['file'],
                              'line': m['line'], 'kind': m['kind'],
                              'what': m['what'], 'state': state,
                              'detail': detail}
                done += 1
                print('[%3d/%d] %-10s %s:%d  %s%s'
                      % (done, len(sample), state, m['file'], m['line'],
                         m['what'], '  (%s)' % detail
                         if state == 'killed' and detail else ''),
                      flush=True)
    finally:
        for w in workers:
            w.remove()

    count = {s: sum(1 for r in results if r and r['state'] == s)
             for s in ('killed', 'survived', 'identical', 'uncompiled')}
    compiled = count['killed'] + count['survived'] + count['identical']
    changed = count['killed'] + count['survived']
    score = 100.0 * count['killed'] / compiled if compiled else 0.0
    score_changed = 100.0 * count['killed'] / changed if changed else 0.0
    elapsed = time.time() - t0

    survivors = [r for r in results if r and r['state'] == 'survived']
    summary = ['',
               'mutate: %s' % ' '.join(sys.argv[1:]),
               'mutate: seed %d, %d mutants of %d: killed %d, survived %d, '
               "object code unchanged %d, didn't compile %d"
               % (args.seed, len(sample), len(pool), count['killed'],
                  count['survived'], count['identical'],
                  count['uncompiled']),
               'mutate: score %.1f%% (killed / compiled = %d / %d); '
               '%.1f%% of those that change the object code (%d / %d); '
               '%.0f s' % (score, count['killed'], compiled, score_changed,
                           count['killed'], changed, elapsed)]
    if survivors:
        summary.append('survivors:')
        summary.extend('  %s:%d  %-6s %s' % (r['file'], r['line'],
                                             r['kind'], r['what'])
                       for r in survivors)
    print('\n'.join(summary))

    with open(os.path.join(args.out, 'results.json'), 'w') as fh:
        json.dump({'seed': args.seed, 'count': len(sample),
                   'pool': len(pool), 'files': files, 'score': score,
                   'score_changed': score_changed,
               'counts': count, 'seconds': elapsed,
                   'results': results}, fh, indent=1)
    with open(os.path.join(args.out, 'summary.txt'), 'w') as fh:
        fh.write('\n'.join(summary).lstrip('\n') + '\n')
    with open(os.path.join(args.out, 'survivors.txt'), 'w') as fh:
        fh.write(''.join(r['id'] + '\n' for r in survivors))

    return 0


if __name__ == '__main__':
    sys.exit(main())
