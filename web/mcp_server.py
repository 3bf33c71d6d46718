"""The MCP server (Model Context Protocol, the official ``mcp`` SDK): alloyloop's tools
for AI assistants and other MCP clients.

Two transports, one set of tools (:mod:`alloyloop.web.mcp_tools`):

- **stdio** (``alloyloop mcp``): a local client starts the server as a subprocess; it acts
  as the local user, as the CLI does (audit actor ``cli:LOGIN``, every tool allowed).
- **streamable HTTP** at ``/mcp`` of the lab web app (:mod:`alloyloop.web.mcp_http`): every request
  carries ``Authorization: Bearer TOKEN``, a personal token of an account
  (``alloyloop user token NAME``; the store keeps its SHA-256, :mod:`alloyloop.db.api_tokens`).
  The account's role applies as in the web app: a viewer reads, ``lab`` also enters labels.

Tools that fail for a reason the caller can fix (an unknown campaign, a bad value, too
weak a role) answer an error result naming the value and the fix, and store nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from alloyloop.db.actors import local_actor as audit_actor
from alloyloop.db.engine import open_session
from alloyloop.db.errors import StoreError
from alloyloop.db.records import UserRecord
from alloyloop.db.roles import Role
from alloyloop.db.session import Engine
from alloyloop.db.vocab import Method, Outcome, Phase, Source
from alloyloop.web import mcp_tools
from alloyloop.web.mcp_tools import Actor

SCOPE_USER = "alloyloop.user"
"""Where the bearer check leaves the request's account (the tools read it back)."""
INSTRUCTIONS = (
    "alloyloop: closed-loop design of single-phase high-entropy alloys. List campaigns, read a "
    "campaign's open suggestions and why they were made, featurize compositions or predict "
    "p(single) with a campaign's newest model, read an alloy's label history, and enter the "
    "lab's phase label (role lab). Compositions take any notation: CoCrFeMnNi, Al0.5CoCrFeNi, "
    "Co20Cr20Fe20Mn20Ni20.")

T = TypeVar("T")


def local_actor() -> Actor:
    """The local user, as the CLI names them in the audit log."""
    return Actor(audit_actor(), Role.ADMIN)


def build_server(engine: Engine, evidence_dir: Path, *, local: Actor | None = None) -> MCPServer:
    """The server with its tools over ``engine``. ``local``: the actor of a request that
    came without HTTP (stdio); None refuses such requests."""
    mcp = MCPServer("alloyloop", instructions=INSTRUCTIONS, version="1")

    def actor_of(ctx: Context) -> Actor:
        request = ctx.request_context.request
        user = None if request is None else getattr(request, "scope", {}).get(SCOPE_USER)
        if isinstance(user, UserRecord):
            return Actor(user.name, Role(user.role))
        if request is None and local is not None:
            return local
        raise ToolError("no account: send Authorization: Bearer TOKEN (alloyloop user token NAME)")

    def run(work: Callable[..., T], *args: Any) -> T:  # noqa: ANN401
        """A store session for one call; the store's own errors become tool errors."""
        try:
            with open_session(engine) as session:
                return work(session, *args)
        except (StoreError, PermissionError) as exc:
            raise ToolError(str(exc)) from None

    @mcp.tool()
    def list_campaigns(ctx: Context) -> list[dict[str, Any]]:
        """Every campaign with its status, target, rounds (hits, mean p(single), validation
        AUC / balanced accuracy / ECE), suggestions by status and the retrain trigger."""
        actor_of(ctx)
        return run(mcp_tools.campaigns)

    @mcp.tool()
    def open_suggestions(campaign: str, ctx: Context, limit: int = 100) -> list[dict[str, Any]]:
        """A campaign's open suggestions (suggested, queued, synthesized, failed), newest
        round first, each with its explanation: strategy, p(single) with its interval, the
        conformal set, in or outside the model's domain, the nearest known alloy."""
        actor_of(ctx)
        return run(mcp_tools.open_suggestions, campaign, limit)

    @mcp.tool()
    def featurize(compositions: list[str], ctx: Context) -> dict[str, Any]:
        """The canonical key and physics descriptors (ΔS_mix, δ, ΔH_mix, VEC, Δχ, T_m …) of
        each composition; compositions that do not parse are listed with the fix."""
        actor_of(ctx)
        try:
            return mcp_tools.featurize(compositions)
        except StoreError as exc:
            raise ToolError(str(exc)) from None

    @mcp.tool()
    def predict(campaign: str, compositions: list[str], ctx: Context) -> dict[str, Any]:
        """p(single), the 90 % conformal set and the domain signal of each composition from
        the model of the campaign's newest completed round."""
        actor_of(ctx)
        return run(mcp_tools.predict, campaign, compositions)

    @mcp.tool()
    def label_history(composition: str, ctx: Context) -> dict[str, Any]:
        """Every label of an alloy (any notation), corrections included, its training label
        with the reason, the suggestions each label closed and the audit trail."""
        actor_of(ctx)
        return run(mcp_tools.label_history, composition)

    @mcp.tool()
    def enter_label(ctx: Context, outcome: Outcome, suggestion_id: int | None = None,
                    composition: str | None = None, phases: list[Phase] | None = None,
                    source: Source | None = None, method: Method | None = None,
                    processing: str | None = None, anneal_temperature_c: float | None = None,
                    anneal_time_h: float | None = None, evidence_uri: str | None = None,
                    note: str | None = None, repeat: bool = False) -> dict[str, Any]:
        """Store the lab's phase label (role lab): for a suggestion (``suggestion_id``, which
        it closes) or for any ``composition``. Source defaults to experiment; an experiment
        names its method (XRD, SEM …). The store's rules, the audit log and the closing of
        every open suggestion of the alloy are the web app's."""
        who = actor_of(ctx)
        if (suggestion_id is None) == (composition is None):
            raise ToolError("give either suggestion_id (a suggestion's label) or composition (any alloy), "
                            "not both and not neither")
        raw = {"composition": composition, "outcome": outcome, "phases": phases, "source": source,
               "method": method, "processing": processing, "anneal_temperature_c": anneal_temperature_c,
               "anneal_time_h": anneal_time_h, "evidence_uri": evidence_uri, "note": note, "repeat": repeat}
        return run(lambda session: mcp_tools.enter_label(session, who, evidence_dir, raw,
                                                         suggestion_id=suggestion_id))

    return mcp
