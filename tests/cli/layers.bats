#!/usr/bin/env bats
# The folders of cli/ and runtime/ are layers (docs/architecture.md, "Layers"): each uses only
# the ones below it, so that a part can be read, tested and changed without the ones above.
# A use that goes up (a cycle) fails here, naming the file and what it reached for.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

# cli/: what each folder's objects take from the others (nm's undefined symbols, resolved to
# the folder that defines them). Lower first; main.c is "top".
@test "cli/: each part calls only the parts below it" {
	make -s -C "$UK_TOP/cli" >/dev/null
	run python3 - "$BUILD/cli" <<'EOF'
import collections, glob, os, subprocess, sys
order = ["lib", "manifest", "pipeline", "flash", "fleet", "commands", "top"]
os.chdir(sys.argv[1])
defs, uses = {}, collections.defaultdict(list)
for o in sorted(glob.glob("**/*.o", recursive=True)):
    part = os.path.dirname(o) or "top"
    if part not in order:
        continue  # littlefs, built from Debian's source
    for line in subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBRC":
            defs[f[2]] = part
        elif len(f) == 2 and f[0] == "U":
            uses[part].append((o, f[1]))
bad = [f"cli/{o.removesuffix('.o')}.c ({p}) uses {s} from {defs[s]}/"
       for p, us in uses.items() for o, s in us
       if s in defs and order.index(defs[s]) > order.index(p)]
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
	assert_success
}

# runtime/: what each folder's files include from the others. kernel/ and arch/ are one layer
# (the kernel's declarations and the CPU's registers); libc/ (picolibc's system calls over
# files and sockets) is on top with update/; include/ is the app's API, for all.
@test "runtime/: each folder includes only from the folders below it" {
	run python3 - "$UK_TOP/runtime" <<'EOF'
import os, re, sys
rank = {"arch": 0, "kernel": 0, "drivers": 1, "platform": 2, "fs": 3, "lwip_port": 4,
        "net": 5, "update": 6, "libc": 6}
top = sys.argv[1]
where = {}  # header name -> folder
for d in rank:
    for root, _, files in os.walk(os.path.join(top, d)):
        for f in files:
            if f.endswith(".h"):
                where.setdefault(f, d)
bad = []
for d in rank:
    for root, _, files in os.walk(os.path.join(top, d)):
        for f in files:
            if not f.endswith((".c", ".h", ".S")):
                continue
            path = os.path.join(root, f)
            for m in re.finditer(r'#include\s+"([^"]+)"', open(path, errors="replace").read()):
                inc = m.group(1)
                to = inc.split("../")[-1].split("/")[0] if "../" in inc else where.get(os.path.basename(inc))
                if to in rank and rank[to] > rank[d]:
                    bad.append(f"{os.path.relpath(path, top)} includes {inc} ({to}/)")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
	assert_success
}
