#!/usr/bin/env python3
"""Records GLib's GHashTable iteration order for GHashTableOrderTest.

Drives the system's libglib-2.0.so.0 through ctypes: for each case, inserts keys into a
g_str_hash/g_str_equal table in the given order, removes some, and records the iteration order
after every step. Re-run on a machine with the GLib whose behaviour the test pins (Debian 12:
GLib 2.74):

    python3 qmp4j-schema/src/test/scripts/ghash_vectors.py \
        > qmp4j-schema/src/test/resources/org/qmp4j/schema/ghash-vectors.json
"""
import ctypes
import json
import random

glib = ctypes.CDLL("libglib-2.0.so.0")
glib.g_hash_table_new.restype = ctypes.c_void_p
glib.g_hash_table_new.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
glib.g_hash_table_insert.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
glib.g_hash_table_remove.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
glib.g_hash_table_unref.argtypes = [ctypes.c_void_p]
glib.g_hash_table_iter_init.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
glib.g_hash_table_iter_next.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
VERSION = ".".join(str(ctypes.c_uint.in_dll(glib, "glib_%s_version" % part).value)
                   for part in ("major", "minor", "micro"))

str_hash = ctypes.cast(glib.g_str_hash, ctypes.c_void_p)
str_equal = ctypes.cast(glib.g_str_equal, ctypes.c_void_p)


def iteration_order(table):
    it = ctypes.create_string_buffer(128)  # a GHashTableIter is smaller
    key = ctypes.c_char_p()
    glib.g_hash_table_iter_init(it, table)
    keys = []
    while glib.g_hash_table_iter_next(it, ctypes.byref(key), None):
        keys.append(key.value.decode())
    return keys


def run(inserts, removes):
    table = glib.g_hash_table_new(str_hash, str_equal)
    bufs = {k: ctypes.create_string_buffer(k.encode()) for k in inserts}
    for k in inserts:
        glib.g_hash_table_insert(table, bufs[k], None)
    after_insert = iteration_order(table)
    steps = []
    for k in removes:
        glib.g_hash_table_remove(table, bufs[k])
        steps.append(iteration_order(table))
    glib.g_hash_table_unref(table)
    return {"insert": inserts, "afterInsert": after_insert, "remove": removes, "afterRemove": steps}


def main():
    rnd = random.Random(7)
    words = ["node-name", "driver", "filename", "file", "aio", "cache", "discard", "read-only",
             "auto-read-only", "force-share", "detect-zeroes", "locking", "drop-cache", "value",
             "command-line", "cpu-index", "enable", "events", "type", "data", "id", "bus",
             "tls-creds", "tls-hostname", "compress-level", "max-bandwidth", "downtime-limit",
             "x", "y", "z", "a", "b", "c", "zz", "bogus", "extra", "unknown", "\u00e9t\u00e9"]
    cases = []
    for n in [1, 2, 3, 5, 7, 8, 13, 14, 15, 20, 30, 38]:
        for _ in range(4):
            keys = rnd.sample(words, min(n, len(words)))
            removes = rnd.sample(keys, rnd.randint(0, len(keys)))
            cases.append(run(keys, removes))
    for n in [60, 100]:
        keys = ["k%d-%s" % (i, rnd.choice(words)) for i in range(n)]
        removes = rnd.sample(keys, n - 3)
        cases.append(run(keys, removes))
    print("{\"glib\": \"%s\", \"cases\": [" % VERSION)
    print(",\n".join(json.dumps(c, ensure_ascii=True) for c in cases))
    print("]}")


main()
