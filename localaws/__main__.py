"""python -m localaws serve [--port 0] [--host 127.0.0.1] [--scenario demo]"""

import argparse
import os
import sys


def forget_host_aws_config():
    """moto builds boto3 sessions of its own; a host AWS_PROFILE would break them."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]


def main(argv=None):
    from .seed import SCENARIOS

    parser = argparse.ArgumentParser(prog="python -m localaws", description="A local AWS on moto.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve until SIGTERM/SIGINT")
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--scenario", choices=sorted(SCENARIOS), help="seed this at start")
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    forget_host_aws_config()
    from .server import check_loopback, serve as run

    try:
        check_loopback(args.host)
    except ValueError as err:
        parser.error(str(err))
    run(host=args.host, port=args.port, scenario=args.scenario, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
