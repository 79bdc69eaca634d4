"""Smoke test of examples/minimal.c, the smallest libkevy-rt embedding: on 2
shards every command answers +OK (keyed ones routed to the key's shard),
QUIT closes after its reply, and SIGTERM stops it cleanly (exit 0)."""
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(binary):
    port = free_port()
    proc = subprocess.Popen([binary, str(port), "2"], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("kevy-minimal did not start")
        keys = [b"key:%d" % i for i in range(64)]  # spread over both shards
        req = b"PING\r\n" + b"".join(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k) for k in keys)
        conn.sendall(req + b"QUIT\r\n")
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        expected = b"+OK\r\n" * (len(keys) + 2)
        assert data == expected, "got %r" % data[:200]
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
        assert rc == 0, "exit status %d: %s" % (rc, proc.stderr.read().decode())
        print("kevy-minimal: %d replies in order, clean exit" % (len(keys) + 2))
    finally:
        if proc.poll() is None:
            proc.kill()


if __name__ == "__main__":
    main(sys.argv[1])
