#!/usr/bin/env python3
"""readme_examples.py README: run README.md's examples and compare their output.

Every indented code block of the README is preceded (a blank line may be
between) by an HTML comment, invisible on GitHub, that says how it is checked:

  <!-- checked -->          the block's "$ CMD" lines are run (sh -c, from the
                            source tree, "hdp" being the build's) and what
                            each prints (stdout and stderr) must equal the
                            lines after it, up to the next "$ " line
  <!-- checked in netns[: SETUP] -->
                            the same with "# CMD" lines, run as root in a
                            namespace of their own (only lo, up) after SETUP;
                            run-dependent fields (times, rates) are
                            normalised by NORMALISE below, and the
                            namespace's name reads as "lab"
  <!-- checked in netns, alongside: CMD -->
                            the same, with CMD started in the background in
                            that namespace as each example starts (a sender
                            for a receiver example; CMD waits, bounded, for
                            what it needs)
  <!-- checked excerpt: CMD -->
                            the block is part of CMD's output: its lines must
                            appear in CMD's output in this order
  <!-- not checked: REASON -->

In expected output a line "..." stands for any number of lines.
Environment: HDP_BIN_DIR (a directory whose "hdp" is the build's),
NETNS (the namespace for "in netns" blocks; unset: those blocks are skipped).
Exit status: the number of failed blocks (0: all good).
"""
import os
import re
import subprocess
import sys

MARK = re.compile(r'^<!--\s*(checked|not checked)(.*?)-->\s*$')

# Fields that change from run to run, and nothing else: each regex is
# applied to both the README's text and the run's output of "in netns"
# blocks (offline examples read shipped captures and must match exactly).
NORMALISE = [
    # hdp send's table: the per-packet send time column
    (re.compile(r'^\| (\d+) \| (yes|no) \| [0-9.]+ \| '), r'| \1 | \2 | TIME | '),
    # hdp send's summary: duration and rate
    (re.compile(r'; [0-9.]+ s, [0-9.]+ packets/s$'), '; T s, R packets/s'),
    # hdp replay's table: capture time is kept; lag behind schedule varies
    (re.compile(r'\| [0-9.]+ (?:us|ms|s) \| sent \|$'), '| LAG | sent |'),
    (re.compile(r'^\| (\d+) \| \d+\.\d{9} \| '), r'| \1 | SENT_AT | '),
    (re.compile(r'^\| elapsed \| [0-9.]+ s \|$'), '| elapsed | T s |'),
    (re.compile(r'^\| rate \| [0-9.]+ pkt/s, [0-9.]+ Mbit/s \|$'),
     '| rate | R pkt/s, R Mbit/s |'),
    (re.compile(r'^\| lag behind schedule, mean / worst \| [0-9.]+ (?:us|ms|s) / [0-9.]+ (?:us|ms|s) \|$'),
     '| lag behind schedule, mean / worst | M / W |'),
    # hdp sweep's closing line on standard error: its duration
    (re.compile(r'^(hdp sweep: \d+ packets to .*) in [0-9.]+ s$'), r'\1 in T s'),
    # hdp listen's rows: the kernel's receive time in microseconds
    (re.compile(r'^\| (\d+) \| \d{16} \| '), r'| \1 | RECEIVED_AT | '),
]

# Lines the environment adds, not the example: tshark run as root warns.
NOISE = {'Running as user "root" and group "root". This could be dangerous.'}


def blocks(lines):
    """Yield (line number, marker or None, block lines) per indented block."""
    i, n, mark, mark_line = 0, len(lines), None, -1
    prev_blank = True
    while i < n:
        line = lines[i]
        m = MARK.match(line)
        if m:
            mark, mark_line = (m.group(1), m.group(2).strip()), i
            i += 1
            prev_blank = False
            continue
        if prev_blank and (line.startswith('    ') or line.startswith('\t')) \
                and line.strip():
            start, body = i, []
            while i < n and (lines[i].startswith('    ') or
                             lines[i].startswith('\t') or not lines[i].strip()):
                body.append(lines[i][4:] if lines[i].startswith('    ')
                            else lines[i].lstrip('\t'))
                i += 1
            while body and not body[-1].strip():
                body.pop()
            # the marker belongs to this block only when nothing but blank
            # lines stands between them
            between = lines[mark_line + 1:start] if mark else ['x']
            ok = mark and all(not b.strip() for b in between)
            yield start + 1, (mark if ok else None), body
            mark = None
            prev_blank = True
            continue
        prev_blank = not line.strip()
        i += 1


def commands(body, prompt):
    """Split a block into (command, expected lines)."""
    out, cmd, exp, cont = [], None, [], False
    for line in body:
        if cont:
            cmd += '\n' + line
            cont = line.endswith('\\')
        elif line.startswith(prompt):
            if cmd is not None:
                out.append((cmd, exp))
            cmd, exp = line[len(prompt):], []
            cont = line.endswith('\\')
        elif cmd is None:
            return None
        else:
            exp.append(line)
    if cmd is not None:
        out.append((cmd, exp))
    return out


def argv_env(cmd, netns):
    argv = ['sh', '-c', cmd]
    if netns:
        argv = ['ip', 'netns', 'exec', netns] + argv
    env = dict(os.environ)
    env['PATH'] = os.environ['HDP_BIN_DIR'] + ':' + env['PATH']
    return argv, env


def run(cmd, netns=None, alongside=None):
    argv, env = argv_env(cmd, netns)
    side = None
    if alongside:
        a_argv, _ = argv_env(alongside, netns)
        side = subprocess.Popen(a_argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           env=env, timeout=60)
        out = p.stdout.decode('utf-8', 'backslashreplace').splitlines()
    except subprocess.TimeoutExpired:
        out = ['(no end within 60 s)']
    finally:
        if side:
            try:
                side.wait(timeout=10)
            except subprocess.TimeoutExpired:
                side.kill()
                side.wait()
    return [line for line in out if line not in NOISE]


def normalise(lines, netns):
    out = []
    for line in lines:
        if netns:
            line = line.replace(netns, 'lab')
        for rx, rep in NORMALISE:
            line = rx.sub(rep, line)
        out.append(line)
    return out


def matches(exp, got):
    """exp equals got, a line '...' matching any number of lines."""
    if not exp:
        return not got
    if exp[0] == '...':
        return any(matches(exp[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and exp[0] == got[0] and matches(exp[1:], got[1:])


def excerpt(exp, got):
    it = iter(got)
    return all(any(e == g for g in it) for e in exp)


def show(what, where, exp, got):
    print('FAIL: README.md:%d: %s' % (where, what))
    print('  README says:')
    for e in exp:
        print('    | ' + e)
    print('  the build prints:')
    for g in got:
        print('    | ' + g)


def main():
    text = open(sys.argv[1], encoding='utf-8').read().splitlines()
    netns = os.environ.get('NETNS')
    fails = checked = 0
    for where, mark, body in blocks(text):
        if mark is None:
            print('FAIL: README.md:%d: code block without a <!-- checked --> '
                  'or <!-- not checked: reason --> comment' % where)
            fails += 1
            continue
        kind, arg = mark
        if kind == 'not checked':
            if not arg.startswith(':') or not arg[1:].strip():
                print('FAIL: README.md:%d: "not checked" needs a reason' % where)
                fails += 1
            continue
        if arg.startswith('excerpt:'):
            cmd = arg[len('excerpt:'):].strip()
            got = run(cmd)
            if excerpt(body, got):
                print('ok: README.md:%d: excerpt of %s' % (where, cmd))
                checked += 1
            else:
                show('not in the output of ' + cmd, where, body, got)
                fails += 1
            continue
        ns = None
        setup = alongside = ''
        if arg.startswith('in netns'):
            if not netns:
                print('SKIP: README.md:%d: needs root and namespaces' % where)
                continue
            ns = netns
            rest = arg[len('in netns'):]
            if rest.startswith(', alongside:'):
                alongside = rest[len(', alongside:'):].strip()
            else:
                setup = rest.lstrip(':').strip()
        elif arg:
            print('FAIL: README.md:%d: unknown marker "%s"' % (where, arg))
            fails += 1
            continue
        cmds = commands(body, '# ' if ns else '$ ')
        if not cmds:
            print('FAIL: README.md:%d: checked block without a "%s" command'
                  % (where, '# ' if ns else '$ '))
            fails += 1
            continue
        if ns:
            # a fresh namespace per block: SETUP from scratch
            subprocess.run(['sh', '-c', 'ip netns del %s 2>/dev/null;'
                            'ip netns add %s && ip -n %s link set lo up'
                            % (ns, ns, ns)], check=True)
            if setup:
                subprocess.run(['ip', 'netns', 'exec', ns, 'sh', '-c',
                                setup], check=True)
        for cmd, exp in cmds:
            got = run(cmd.replace('\\\n', ' '), ns, alongside)
            e, g = (normalise(exp, None), normalise(got, ns)) if ns \
                else (exp, got)
            if matches(e, g):
                print('ok: README.md:%d: %s' % (where, cmd.split('\n')[0]))
                checked += 1
            else:
                show(cmd, where, exp, got)
                fails += 1
    print('%d examples checked, %d failed' % (checked, fails))
    sys.exit(min(fails, 100))


main()
