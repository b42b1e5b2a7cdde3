"""Drives `gptimg login` through a pseudo-terminal: waits for the prompt, types the key and
Enter, and prints everything the terminal showed (to check the key was not echoed).
usage: python3 pty_login.py SECRET BIN ARGS..."""
import os, pty, select, sys, time

secret, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
shown = b""
deadline = time.time() + 20
typed = False
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    if not typed and b"input hidden" in shown:
        os.write(fd, secret.encode() + b"\r")
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
