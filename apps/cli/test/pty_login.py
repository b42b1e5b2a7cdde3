"""Drives `gptimg login` through a pseudo-terminal: waits for the prompt, types the key and
Enter, and prints everything the terminal showed (to check the key was not echoed).
usage: [ANSWER=y] python3 pty_login.py SECRET BIN ARGS..."""
import os, pty, select, sys, time

secret, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
shown = b""
deadline = time.time() + 20
typed = False
answered = False
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
    # a yes/no question after the key (e.g. "make it the default?"), answered by $ANSWER
    if typed and not answered and b"[y/N]" in shown and os.environ.get("ANSWER"):
        os.write(fd, os.environ["ANSWER"].encode() + b"\r")
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
