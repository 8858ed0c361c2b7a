"""What the command-line scripts share: exit codes, one-line errors, quiet TensorFlow import.

Scripts validate their arguments before TensorFlow is imported (it takes seconds), raise a
``UsageError`` subclass for anything the user can fix, and hand their ``run(args)`` to
``run_main``. This module imports no TensorFlow.
"""

import os
import sys

EXIT_OK = 0
EXIT_INTERNAL_ERROR = 1
EXIT_USAGE_ERROR = 2


class UsageError(Exception):
    """A problem the user can fix (bad argument, missing or unreadable file): exit status 2."""


def one_line(text):
    """Collapse any whitespace (newlines included) in ``text`` to single spaces."""
    return " ".join(str(text).split())


def import_tensorflow_quietly():
    """Import TensorFlow with file descriptor 2 pointed at /dev/null.

    TensorFlow's native libraries print start-up notes straight to fd 2 while loading, before
    TF_CPP_MIN_LOG_LEVEL applies; they would bury the one-line error messages of the scripts.
    """
    sys.stderr.flush()
    saved_stderr_fd = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved_stderr_fd, 2)
        os.close(saved_stderr_fd)


def run_main(run, args):
    """Run ``run(args)`` as a command: returns the exit status.

    ``args.gpu`` (if any) selects the visible CUDA device and ``args.debug`` keeps
    TensorFlow's logs and shows tracebacks; both take effect before TensorFlow is imported,
    which is why ``run`` must import it lazily. A UsageError prints one line and gives 2;
    Ctrl-C gives 130; any other exception prints one line with a hint and gives 1.
    """
    if getattr(args, "gpu", None) is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(args.gpu)
    debug = getattr(args, "debug", False)
    if not debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return run(args)
    except UsageError as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            raise
        print(f"internal error: {type(error).__name__}: {one_line(error)} "
              f"(rerun with --debug to see the traceback)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
