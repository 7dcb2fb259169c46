"""Processes the project starts, and how none of them outlives its command.

Every process a command starts carries a tag in its environment
(LLSC_TAGS, a space-separated list, inherited by every descendant that
keeps its environment: afl-fuzz's forkservers and their persistent
children, libFuzzer's fork-mode jobs, sanitizer symbolizers). Process
groups are not enough: AFL++'s forkserver child calls setsid(), and a
persistent-mode child stopped with SIGSTOP between runs survives its
afl-fuzz forever (reparented to init, in state T).

A command that starts engines forks a watchdog first. The watchdog holds
the read end of a pipe whose write end only the command holds; when the
command dies in any way (kill -9 included) the pipe reads EOF and the
watchdog kills every process carrying the command's tag, then exits.
"""

import ctypes
import os
import secrets
import signal
import sys
import time

TAG_VAR = "LLSC_TAGS"
_PR_SET_PDEATHSIG = 1


def new_tag(kind):
    return f"{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def tagged_env(tags, env=None):
    """env (default: ours) with tags (one or a list) added to LLSC_TAGS."""
    env = dict(os.environ if env is None else env)
    have = env.get(TAG_VAR, "").split()
    for tag in [tags] if isinstance(tags, str) else tags:
        if tag not in have:
            have.append(tag)
    env[TAG_VAR] = " ".join(have)
    return env


def _environ_tags(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            data = f.read()
    except OSError:
        return ()
    for entry in data.split(b"\0"):
        if entry.startswith(TAG_VAR.encode() + b"="):
            return entry[len(TAG_VAR) + 1:].decode(errors="replace").split()
    return ()


def _stat(pid):
    """(state, ppid, comm) of a process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), comm


def tagged_pids(tag):
    """Live processes (zombies excluded) that carry tag, not ourselves."""
    me = os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        if tag in _environ_tags(pid):
            st = _stat(pid)
            if st and st[0] != "Z":
                out.append(pid)
    return out


def describe(pid):
    st = _stat(pid)
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        args = "?"
    return f"{pid} ({st[0] if st else '?'}, ppid {st[1] if st else '?'}) {args[:160]}"


def kill_tagged(tag, grace=0.0):
    """SIGTERM (if grace > 0), then SIGKILL every process carrying tag until
    none is left. SIGKILL also ends stopped processes. Returns how many
    processes were found."""
    seen = set()
    if grace > 0:
        for pid in tagged_pids(tag):
            seen.add(pid)
            _signal(pid, signal.SIGTERM)
            _signal(pid, signal.SIGCONT)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and tagged_pids(tag):
            time.sleep(0.05)
    for _ in range(200):
        pids = tagged_pids(tag)
        if not pids:
            break
        for pid in pids:
            seen.add(pid)
            _signal(pid, signal.SIGKILL)
        time.sleep(0.02)
    return len(seen)


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _set_pdeathsig():
    """In a child between fork and exec: die with the parent."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def child_setup():
    """preexec_fn for engines: own session (signals to the command's
    terminal group do not reach them twice), and death with the parent."""
    os.setsid()
    _set_pdeathsig()


class Watchdog:
    """Kills every process carrying `tag` once this process dies."""

    def __init__(self, tag):
        self.tag = tag
        r, w = os.pipe()  # not inherited by later children (PEP 446)
        pid = os.fork()
        if pid == 0:
            try:
                os.close(w)
                os.setsid()  # out of the command's group: Ctrl-C is ours to handle
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                signal.signal(signal.SIGHUP, signal.SIG_IGN)
                while os.read(r, 4096):
                    pass
                kill_tagged(tag)
            finally:
                os._exit(0)
        os.close(r)
        self._w = w
        self.pid = pid

    def close(self):
        """Normal end: the watchdog sweeps once more and exits."""
        if self._w is not None:
            os.close(self._w)
            self._w = None
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


def main(argv):
    """`python3 procs.py run -- CMD...`: run CMD under a tag and a watchdog,
    then kill whatever CMD left behind (AFL++'s stopped persistent children).
    `python3 procs.py left TAG`: list live processes carrying TAG, exit 1 if any.
    `python3 procs.py kill TAG`: kill them.
    """
    if len(argv) >= 3 and argv[1] == "run" and argv[2] == "--" and len(argv) > 3:
        import subprocess
        tag = new_tag("run")
        dog = Watchdog(tag)
        try:
            p = subprocess.Popen(argv[3:], env=tagged_env(tag))
            try:
                rc = p.wait()
            except KeyboardInterrupt:
                p.send_signal(signal.SIGINT)
                rc = p.wait()
        finally:
            kill_tagged(tag, grace=0.5)
            dog.close()
        return rc if rc >= 0 else 128 - rc
    if len(argv) == 3 and argv[1] == "left":
        pids = tagged_pids(argv[2])
        for pid in pids:
            print(describe(pid))
        return 1 if pids else 0
    if len(argv) == 3 and argv[1] == "kill":
        kill_tagged(argv[2], grace=0.5)
        return 0
    print("usage: procs.py run -- CMD... | procs.py left TAG | procs.py kill TAG",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
