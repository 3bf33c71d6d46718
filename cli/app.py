"""The ``alloyloop`` command line: thin typer wrappers over service functions.

Each command group lives in its own module under ``cli/commands``; this file only
assembles them, so that ``alloyloop --help`` stays fast (heavy imports happen inside
the commands).
"""

from __future__ import annotations

import typer

from alloyloop.cli.commands import campaign as campaign_commands
from alloyloop.cli.commands import data as data_commands
from alloyloop.cli.commands import model as model_commands
from alloyloop.cli.commands import db as db_commands
from alloyloop.cli.commands import eln as eln_commands
from alloyloop.cli.commands import label as label_commands
from alloyloop.cli.commands import loop as loop_commands
from alloyloop.cli.commands import mcp as mcp_commands
from alloyloop.cli.commands import screen as screen_commands
from alloyloop.cli.commands import web as web_commands
from alloyloop.cli.commands import xrd as xrd_commands

app = typer.Typer(
    name="alloyloop",
    help="Closed-loop design of single-phase high-entropy alloys.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_commands.app, name="data")
app.command("featurize")(data_commands.featurize)
app.add_typer(model_commands.app, name="model")
app.add_typer(db_commands.app, name="db")
app.add_typer(label_commands.app, name="label")
label_commands.app.command("from-xrd")(xrd_commands.from_xrd)
data_commands.app.command("import-corpus")(db_commands.import_corpus)
app.add_typer(campaign_commands.app, name="campaign")
campaign_commands.app.command("screen")(screen_commands.screen)
campaign_commands.app.command("export-eln")(eln_commands.export_campaign)
label_commands.app.command("export-eln")(eln_commands.export_labels)
label_commands.app.command("import-eln")(eln_commands.import_labels)
app.command("report")(loop_commands.report)
app.command("schedule")(loop_commands.schedule)
app.command("demo")(loop_commands.demo)
app.command("serve")(web_commands.serve)
app.add_typer(web_commands.user_app, name="user")
web_commands.user_app.command("token")(mcp_commands.token)
app.command("mcp")(mcp_commands.mcp)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
