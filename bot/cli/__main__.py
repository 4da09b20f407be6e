"""`python -m bot.cli`: the same as the `tokendesk` console script."""

from bot.cli import main

raise SystemExit(main())
