"""``python -m classit_tasks.finetune …`` (and ``accelerate launch -m classit_tasks.finetune …``)."""

import sys

from classit_tasks.finetune.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
