"""How often a masking campaign saw each known violation class.

Every engine process of a session adds into one counter file,
OUT/<t>/known-stats.<engine>, mapped shared (harness/known.c): a 16-byte
header ("LLSCKNW1", slot count, slot size), then slots of
  u32 state (2: ready), u32 pad, u64 count, char id[48], char sig[112].
A count is the number of inputs that showed the class (once per input,
however often it showed in it). Two processes that claimed a slot for the
same class at once leave two slots: they are summed here."""

import glob
import os
import struct

import engines

MAGIC = b"LLSCKNW1"
SLOT = struct.Struct("<IIQ48s112s")


def read_file(path):
    """{signature: (id, count)} of one counter file ({} if unreadable)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    if len(data) < 16 or data[:8] != MAGIC:
        return {}
    nslots, size = struct.unpack_from("<II", data, 8)
    if size != SLOT.size:
        return {}
    out = {}
    for i in range(nslots):
        off = 16 + i * size
        if off + size > len(data):
            break
        state, _, count, ident, sig = SLOT.unpack_from(data, off)
        if state != 2:
            continue
        sig = sig.split(b"\0", 1)[0].decode(errors="replace")
        ident = ident.split(b"\0", 1)[0].decode(errors="replace")
        prev = out.get(sig, (ident, 0))
        out[sig] = (ident, prev[1] + count)
    return out


def read_campaign(out):
    """[(target, engine, signature, id, count)] for a campaign folder,
    sorted by target, then by count (most first)."""
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "*", "known-stats.*"))):
        target = os.path.basename(os.path.dirname(path))
        engine = os.path.basename(path).split(".", 1)[1]
        if path != engines.known_stats_path(os.path.join(out, target), engine):
            continue
        for sig, (ident, count) in read_file(path).items():
            rows.append((target, engine, sig, ident, count))
    rows.sort(key=lambda r: (r[0], -r[4], r[2], r[1]))
    return rows
