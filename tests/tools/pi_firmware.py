#!/usr/bin/env python3
"""pi_firmware.py: plays the Raspberry Pi boot firmware's part for an A/B card under QEMU, which
runs no firmware (docs/update.md). Pi 3 cards (config.txt includes slot.txt): slot.txt's
os_prefix names the directory whose kernel8.img, cmdline.txt and device tree are loaded, and is
ignored when that directory lacks the kernel or the board's .dtb. Pi 4 and virt cards: for
each boot it applies the firmware's documented rules to the card image as it is now: partition
1's autoboot.txt with tryboot_a_b=1 names the partition a normal boot takes ([all]
boot_partition) and the one a tryboot takes ([tryboot] boot_partition); the tryboot flag lasts
one boot and is lost with the power. From the chosen partition it loads kernel8.img and
cmdline.txt, and passes the device tree with /chosen/bootloader "partition" and "tryboot" set,
as the Pi 4 firmware does. The guest's runtime prints a line where a Pi 4 sends the mailbox's
reboot flag; that line sets the flag here.

usage: pi_firmware.py CARD LOG [options] -- QEMU ARGS... (the machine without -kernel/-append;
       on raspi3b/raspi4b with -dtb naming the board's device tree, which is then read from the
       card's slot as the firmware does, and the card in the SD slot: a power-of-two size)
  --boots N          at most N boots (default 4)
  --until REGEX      stop after the boot whose console matches
  --append ARGS      more kernel arguments after cmdline.txt's (the firmware adds its own too)
  --cut B:TEXT:MS    power cut: in boot B (1-based), MS milliseconds after TEXT appears on
                     the console, QEMU is killed (SIGKILL); one per boot
  --timeout S        a boot that runs longer is cut (default 120)
  --io               at the end of each boot that ran QEMU, a line "firmware: boot N wrote W
                     bytes": W is the last wchar of /proc/<QEMU pid>/io, polled every 20 ms
                     while QEMU runs and read once more when it has ended. It counts all of
                     QEMU's write calls, the card's and the console's few KB alike, so it is an
                     upper bound of the bytes written to the card
  --stamp REGEX      after each whole console line that matches, a line "firmware: at S s:
                     LINE" (S: seconds since this script started, one clock for all boots; a
                     line's time is when its end was read, to about 20 ms); also "firmware: at
                     S s: boot N: QEMU started" and "... QEMU ended" for every boot. The console
                     bytes are the same as without it, only written to LOG a whole line at a time
The console of every boot goes to LOG, each boot opened by a line
"firmware: boot N: partition P tryboot T" and closed by "firmware: boot N ended: <how>".
Exit status 0, or 2 on a usage or card error.
"""
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time


def die(msg):
    print(f"pi_firmware: {msg}", file=sys.stderr)
    sys.exit(2)


def partitions(card):
    with open(card, "rb") as f:
        mbr = f.read(512)
    if len(mbr) != 512 or mbr[510:512] != b"\x55\xaa":
        die(f"{card}: no MBR")
    parts = {}
    for i in range(4):
        e = mbr[446 + 16 * i: 462 + 16 * i]
        ptype = e[4]
        first, count = struct.unpack("<II", e[8:16])
        if ptype and count:
            parts[i + 1] = (first * 512, count * 512)
    return parts


def mtools_read(card, offset, name):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", MTOOLSRC="/dev/null")
    r = subprocess.run(["mtype", "-i", f"{card}@@{offset}", f"::{name}"], capture_output=True,
                       env=env)
    return r.stdout if r.returncode == 0 else None


def mtools_copy(card, offset, name, dest):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", MTOOLSRC="/dev/null")
    r = subprocess.run(["mcopy", "-o", "-n", "-i", f"{card}@@{offset}", f"::{name}", dest],
                       capture_output=True, env=env)
    return r.returncode == 0


def autoboot(text):
    """The firmware's reading of autoboot.txt: (normal partition, tryboot partition)."""
    normal = trial = None
    section = "all"
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
            continue
        m = re.fullmatch(r"boot_partition=(\d+)", line)
        if m and section == "all":
            normal = trial = int(m.group(1))
        elif m and section == "tryboot":
            trial = int(m.group(1))
    return normal, trial


def qemu_wchar(pid, last=None, ended=False):
    """--io: wchar of /proc/PID/io (all of QEMU's threads), or LAST when it cannot be read. With
    ENDED, waits (without reaping it) until QEMU has exited, so the count is its final one."""
    if ended:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            return last
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return last


def exited(pid):
    """True when the child PID has exited (it is left to be reaped)."""
    try:
        r = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return r is not None


def write_stamped(out, data, rx, t0):
    """--stamp: writes DATA's whole lines, each that matches RX followed by its time stamp; returns
    the rest (a line not ended yet)."""
    end = data.rfind(b"\n") + 1
    now = time.monotonic() - t0
    for line in data[:end].splitlines(keepends=True):
        out.write(line)
        text = line.decode("ascii", "replace").rstrip("\r\n")
        if rx.search(text):
            out.write(f"firmware: at {now:.3f} s: {text}\n".encode())
    return data[end:]


def main():
    argv = sys.argv[1:]
    if "--" not in argv or len(argv) < 3:
        die(__doc__.split("\n\n")[1])
    sep = argv.index("--")
    opts, qemu = argv[:sep], argv[sep + 1:]
    card, log = opts[0], opts[1]
    boots, until, append, cuts, timeout = 4, None, "", {}, 120.0
    io, stamp = False, None
    t0 = time.monotonic()
    i = 2
    while i < len(opts):
        if opts[i] == "--io":
            io = True
            i += 1
            continue
        o, v = opts[i], opts[i + 1] if i + 1 < len(opts) else die(f"{opts[i]} needs a value")
        if o == "--boots":
            boots = int(v)
        elif o == "--until":
            until = re.compile(v)
        elif o == "--append":
            append = v
        elif o == "--cut":
            b, rest = v.split(":", 1)
            rx, ms = rest.rsplit(":", 1)
            cuts[int(b)] = (re.compile(re.escape(rx)), int(ms) / 1000.0)
        elif o == "--timeout":
            timeout = float(v)
        elif o == "--stamp":
            stamp = re.compile(v)
        else:
            die(f"unknown option {o}")
        i += 2

    work = tempfile.mkdtemp(prefix="pi_firmware.")
    base_dtb = os.path.join(work, "virt.dtb")
    # raspi3b/raspi4b: the card goes in the SD slot and the device tree comes from the card
    # (the firmware loads the board's .dtb from the slot); the -dtb given names which one
    raspi = any(qemu[k] in ("-M", "-machine") and qemu[k + 1].startswith("raspi")
                for k in range(len(qemu) - 1))
    board_dtb = None
    if "-dtb" in qemu:
        k = qemu.index("-dtb")
        board_dtb = os.path.basename(qemu[k + 1])
        qemu = qemu[:k] + qemu[k + 2:]
    if raspi and not board_dtb:
        die("a raspi machine needs -dtb naming the board's device tree")
    if raspi and os.path.getsize(card) & (os.path.getsize(card) - 1):
        die(f"{card}: QEMU's SD slot needs a power-of-two size")
    drive = ["-drive", f"if=sd,format=raw,file={card}"] if raspi else \
        ["-drive", f"if=none,id=card,format=raw,file={card}",
         "-device", "virtio-blk-device,drive=card"]
    tryboot = False
    with open(log, "ab", buffering=0) as out:
        for boot in range(1, boots + 1):
            parts = partitions(card)
            if 1 not in parts:
                die(f"{card}: no partition 1")
            p1 = parts[1][0]
            text = mtools_read(card, p1, "autoboot.txt")
            config = mtools_read(card, p1, "config.txt") or b""
            prefix = None
            if text is not None and b"tryboot_a_b=1" in text:
                # Pi 4: autoboot.txt picks the partition; the tryboot flag lasts one boot
                normal, trial = autoboot(text.decode("ascii", "replace"))
                chosen = trial if tryboot else normal
                flag = 1 if tryboot else 0
                out.write(f"firmware: boot {boot}: partition {chosen} tryboot {flag}\n".encode())
            elif b"include slot.txt" in config:
                # Pi 3: config.txt includes slot.txt; its os_prefix is used only when that
                # directory holds the kernel and the board's device tree (else ignored)
                chosen, flag = 1, 0
                slot = (mtools_read(card, p1, "slot.txt") or b"").decode("ascii", "replace")
                m = re.search(r"^os_prefix=(\S*)$", slot, re.M)
                prefix = m.group(1) if m else ""
                if prefix and (mtools_read(card, p1, prefix + "kernel8.img") is None or
                               (board_dtb and mtools_read(card, p1, prefix + board_dtb) is None)):
                    prefix = ""
                out.write(f"firmware: boot {boot}: os_prefix {prefix or '(none)'}\n".encode())
            else:
                die(f"{card}: neither an autoboot.txt with tryboot_a_b=1 nor a config.txt "
                    f"that includes slot.txt on partition 1")
            tryboot = False  # spent (the Pi 3 firmware has none)
            kernel = os.path.join(work, "kernel8.img")
            cmdline = os.path.join(work, "cmdline.txt")
            card_dtb = os.path.join(work, "card.dtb")
            for p in (kernel, cmdline, card_dtb):
                if os.path.exists(p):
                    os.unlink(p)
            where = parts[chosen][0] if chosen in parts else None
            pre = prefix or ""
            if where is None or not mtools_copy(card, where, pre + "kernel8.img", kernel) \
                    or not mtools_copy(card, where, pre + "cmdline.txt", cmdline) \
                    or (raspi and not mtools_copy(card, where, pre + board_dtb, card_dtb)):
                # the firmware finds nothing to boot there: the board resets, flag spent
                out.write(f"firmware: boot {boot} ended: no kernel in partition {chosen}\n".encode())
                continue
            with open(cmdline, "rb") as f:
                args = f.read().decode("ascii", "replace").strip()
            args = (args + " " + append).strip()
            if raspi:
                source = card_dtb
            else:
                if not os.path.exists(base_dtb):
                    subprocess.run(qemu + ["-kernel", kernel, "-machine", f"dumpdtb={base_dtb}"],
                                   capture_output=True, check=True)
                source = base_dtb
            dtb = os.path.join(work, "boot.dtb")
            with open(source, "rb") as src, open(dtb, "wb") as dst:
                dst.write(src.read())
            if prefix is None:  # the Pi 4 firmware says which partition it booted, and how
                subprocess.run(["fdtput", "-c", dtb, "/chosen/bootloader"], check=True)
                subprocess.run(["fdtput", "-t", "u", dtb, "/chosen/bootloader", "partition",
                                str(chosen)], check=True)
                subprocess.run(["fdtput", "-t", "u", dtb, "/chosen/bootloader", "tryboot",
                                str(flag)], check=True)
            proc = subprocess.Popen(
                qemu + ["-kernel", kernel, "-append", args, "-dtb", dtb] + drive,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if stamp:
                out.write(f"firmware: at {time.monotonic() - t0:.3f} s: boot {boot}: "
                          f"QEMU started\n".encode())
            wrote = qemu_wchar(proc.pid) if io else None
            io_at = time.monotonic()
            pending = b""  # with --stamp: the console's last line, not yet whole
            console = b""
            cut = cuts.get(boot)
            cut_at = None
            start = time.monotonic()
            how = None
            os.set_blocking(proc.stdout.fileno(), False)
            while True:
                chunk = proc.stdout.read(65536)
                if chunk:
                    if stamp:
                        pending = write_stamped(out, pending + chunk, stamp, t0)
                    else:
                        out.write(chunk)
                    console += chunk
                now = time.monotonic()
                if io and now - io_at >= 0.02:
                    wrote, io_at = qemu_wchar(proc.pid, wrote), now
                if cut and cut_at is None and cut[0].search(console.decode("ascii", "replace")):
                    cut_at = now + cut[1]
                    out.write(pending)
                    pending = b""
                    out.write(f"\nfirmware: '{cut[0].pattern}' at {now - start:.2f} s\n".encode())
                if (cut_at is not None and now >= cut_at) or now - start > timeout:
                    proc.send_signal(signal.SIGKILL)
                    if io:
                        wrote = qemu_wchar(proc.pid, wrote, ended=True)
                    proc.wait()
                    how = "power cut" if cut_at is not None else "cut: too long"
                    break
                if io and not chunk and exited(proc.pid):
                    wrote = qemu_wchar(proc.pid, wrote, ended=True)
                if proc.poll() is not None and not chunk:
                    rest = proc.stdout.read() or b""
                    if stamp:
                        pending = write_stamped(out, pending + rest, stamp, t0)
                    else:
                        out.write(rest)
                    console += rest
                    how = f"exit {proc.returncode}"
                    if cut and (cut_at is not None or cut[0].search(console.decode("ascii", "replace"))):
                        # the guest reset or stopped before the cut's time came: the power
                        # went at that instant instead (the firmware's flag is lost with it)
                        how = "power cut (as QEMU ended)"
                    break
                if not chunk:
                    time.sleep(0.02)
            text = console.decode("ascii", "replace").replace("\r", "")
            # the flag lives in the firmware's RAM: a reset keeps it, a power cut does not
            if "uk: firmware: tryboot on the next reset" in text and not how.startswith("power"):
                tryboot = True
            took = time.monotonic() - start
            if stamp:
                out.write(pending)
                out.write(f"\nfirmware: at {time.monotonic() - t0:.3f} s: boot {boot}: "
                          f"QEMU ended".encode())
            out.write(f"\nfirmware: boot {boot} ended: {how} after {took:.2f} s\n".encode())
            if io:
                out.write(f"firmware: boot {boot} wrote {wrote or 0} bytes\n".encode())
            if until and until.search(text):
                break
            reset = "uk: rebooting" in text or how.startswith("power cut") or how.startswith("cut")
            if not reset:
                break  # it powered off: nothing boots it again
    return 0


sys.exit(main())
