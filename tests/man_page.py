#!/usr/bin/env python3
"""man_page.py HDP MAN: man/hdp.1 follows the program.

- its "HDP CMD" sections come in `hdp --help`'s order, one per command;
- every option `hdp help CMD` names (its usage lines and its option list)
  heads a .TP entry of that command's section: each command has its option
  list;
- no option heads two .TP entries of one section.
Prints one FAIL line per fault; exit status 1 when there is any.
"""
import re
import subprocess
import sys

OPT = re.compile(r'(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)')


def plain(line):
    """A roff line as it reads: no font escapes, no macro name, no quotes."""
    s = line.replace('\\-', '-')
    s = re.sub(r'\\f[BIRP]|\\f\(..|\\&|\\\|', '', s)
    s = re.sub(r'^\.(BR|BI|IR|RB|IB|RI|B|I)\s', '', s)
    return s.replace('"', '')


def helptext(hdp, *args):
    return subprocess.run([hdp] + list(args), stdout=subprocess.PIPE,
                          check=True).stdout.decode()


def main():
    hdp, man = sys.argv[1], sys.argv[2]
    fails = []
    order = re.findall(r'^  ([a-z]+)  ', helptext(hdp, '--help'), re.M)
    lines = open(man, encoding='utf-8').read().split('\n')
    shs = [i for i, l in enumerate(lines) if l.startswith('.SH ')]
    secs = [(i, lines[i][len('.SH HDP '):].lower()) for i in shs
            if lines[i].startswith('.SH HDP ')]
    names = [n for _, n in secs]
    if names != order:
        fails.append('sections %s, hdp --help says %s' % (names, order))
    for i, cmd in secs:
        end = min([k for k in shs if k > i] + [len(lines)])
        body = lines[i:end]
        heads = [plain(body[k + 1]) for k in range(len(body) - 1)
                 if body[k].startswith('.TP')]
        where = {}
        for h in heads:
            for o in set(OPT.findall(h)):
                where.setdefault(o, []).append(h)
        for o, hs in sorted(where.items()):
            if len(hs) > 1:
                fails.append('HDP %s: %s listed %d times: %s'
                             % (cmd.upper(), o, len(hs), ' | '.join(hs)))
        if cmd not in order:
            continue
        h = helptext(hdp, 'help', cmd)
        want = set(OPT.findall(h.split('\n\n')[0]))
        for line in h.split('\n'):
            m = re.match(r'^ {2,4}(-\S.*?)(  |$)', line)
            if m:
                want |= set(OPT.findall(m.group(1)))
        for o in sorted(want - set(where)):
            fails.append('HDP %s: %s (in hdp help %s) has no entry'
                         % (cmd.upper(), o, cmd))
    for f in fails:
        print('FAIL: man/hdp.1: ' + f)
    print('%d sections, %d faults' % (len(secs), len(fails)))
    sys.exit(1 if fails else 0)


main()
