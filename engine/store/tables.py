"""The domain's tables (SQLAlchemy Core), in a first form.

Schema changes go through Alembic migrations (engine/store/migrations), never
`create_all`: a test checks that the migrated schema matches this module.
Times are aware UTC datetimes (`UtcDateTime`).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from engine.store.types import Json, UtcDateTime

# Stable constraint names so that migrations are reproducible on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ROLES = ("admin", "supervisor", "agent", "external")
CAMPAIGN_MODES = ("preview", "progressive", "power", "predictive", "inbound")
CAMPAIGN_STATUSES = ("draft", "running", "paused", "stopped", "finished")
SPOOL_STATES = (
    "pending",
    "claimed",
    "dialling",
    "waiting_retry",
    "done",
    "cancelled",
    "expired",
    "failed",
)
DISPOSITION_ACTIONS = (
    "none",
    "respool",
    "respool_alternative",
    "blacklist",
    "schedule",
)


def _created() -> Column[object]:
    return Column(
        "created_at", UtcDateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP")
    )


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


# --- people and access ---------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("full_name", String(255), nullable=False, server_default=""),
    Column("email", String(255), nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _created(),
    _one_of("role", ROLES[:3], "role"),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # SHA-256 of the bearer token: the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    _created(),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

external_systems = Table(
    "external_systems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(150), nullable=False, unique=True),
    _created(),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(150), nullable=False, unique=True),
    # The first characters, shown in listings so a key can be recognised.
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False, server_default="external"),
    Column("external_system_id", ForeignKey("external_systems.id"), nullable=True),
    _created(),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    _one_of("role", ROLES, "role"),
)

# Maps our ids to the ids a CRM or a seed product's integration uses.
external_ids = Table(
    "external_ids",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "external_system_id", ForeignKey("external_systems.id", ondelete="CASCADE"), nullable=False
    ),
    Column("entity", String(40), nullable=False),
    Column("entity_id", Integer, nullable=False),
    Column("external_id", String(255), nullable=False),
    UniqueConstraint("external_system_id", "entity", "external_id", name="uq_external_ids_key"),
    Index("ix_external_ids_entity", "entity", "entity_id"),
)

# --- agents ----------------------------------------------------------------------------

agents = Table(
    "agents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL"), nullable=True, unique=True),
    Column("name", String(150), nullable=False, unique=True),
    # The phone the live leg is called on, e.g. PJSIP/1001.
    Column("endpoint", String(255), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _created(),
)

skills = Table(
    "skills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(150), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
)

agent_skills = Table(
    "agent_skills",
    metadata,
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
    Column("capacity", Integer, nullable=False, server_default="100"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    CheckConstraint("capacity BETWEEN 0 AND 100", name="capacity"),
)

pause_reasons = Table(
    "pause_reasons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(150), nullable=False, unique=True),
    # Productive pauses (training, back-office) count as work in reports.
    Column("productive", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

# --- campaigns and contacts ------------------------------------------------------------

contact_databases = Table(
    "contact_databases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(150), nullable=False, unique=True),
    # Field schema: the ordered field names, which hold phone numbers, which is
    # the main phone and which is the CRM's id for the contact.
    Column("fields", Json, nullable=False),
    Column("phone_fields", Json, nullable=False),
    Column("main_phone_field", String(150), nullable=False),
    Column("external_id_field", String(150), nullable=True),
    _created(),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(150), nullable=False, unique=True),
    Column("external_id", String(255), nullable=True, unique=True),
    Column("mode", String(20), nullable=False),
    Column("status", String(20), nullable=False, server_default="draft"),
    Column("contact_database_id", ForeignKey("contact_databases.id"), nullable=True),
    Column("caller_id", String(80), nullable=False, server_default=""),
    Column("dial_template", String(255), nullable=False, server_default="PJSIP/{number}@trunk"),
    Column("ring_timeout_seconds", Integer, nullable=False, server_default="25"),
    Column("max_lines_per_agent", Integer, nullable=False, server_default="3"),
    Column("power_ratio", Float, nullable=False, server_default="1.0"),
    Column("abandon_cap_percent", Float, nullable=False, server_default="3.0"),
    Column("abandon_set_point_percent", Float, nullable=False, server_default="2.75"),
    Column("drop_time_seconds", Float, nullable=False, server_default="2.0"),
    Column("safe_harbour_sound", String(255), nullable=False, server_default="sound:vm-goodbye"),
    Column("amd_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("recording_mode", String(20), nullable=False, server_default="never"),
    Column("wrapup_seconds", Integer, nullable=False, server_default="10"),
    # Weekly hours in the campaign zone: [{"days": [0..6], "start": "09:00", "end": "18:00"}].
    Column("hours", Json, nullable=False, server_default=text("'[]'")),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("rule_pack", String(40), nullable=False, server_default="us_states"),
    # For rule_pack "custom": {"windows": [...], "holidays": [...], "rolling": {...}}.
    Column("custom_rule_pack", Json, nullable=True),
    # Per-outcome retry: {"busy": {"delay_seconds": 600, "max": 3}, ...}.
    Column("retry_policy", Json, nullable=False, server_default=text("'{}'")),
    Column("crm_url_template", String(500), nullable=True),
    Column("skill_id", ForeignKey("skills.id"), nullable=True),
    Column("inbound_did", String(80), nullable=True, unique=True),
    # Inbound queueing: how long a caller waits, what happens then ("hangup",
    # "voicemail" or "campaign:<id>"), how often the position is announced (0: never).
    Column("inbound_max_wait_seconds", Integer, nullable=False, server_default="120"),
    Column("inbound_overflow", String(40), nullable=False, server_default="hangup"),
    Column("inbound_announce_seconds", Integer, nullable=False, server_default="30"),
    Column("moh_class", String(80), nullable=False, server_default="default"),
    _created(),
    Column("updated_at", UtcDateTime, nullable=True),
    _one_of("mode", CAMPAIGN_MODES, "mode"),
    _one_of("status", CAMPAIGN_STATUSES, "status"),
    _one_of("recording_mode", ("never", "on_demand", "always"), "recording_mode"),
    CheckConstraint("ring_timeout_seconds >= 15", name="ring_timeout"),
)

campaign_agents = Table(
    "campaign_agents",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
)

# Supervisors see the campaigns listed here (every campaign while they have none).
campaign_supervisors = Table(
    "campaign_supervisors",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

lead_loads = Table(
    "lead_loads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("source_name", String(255), nullable=False),
    Column("format", String(20), nullable=False),
    Column("rows_loaded", Integer, nullable=False, server_default="0"),
    Column("rows_failed", Integer, nullable=False, server_default="0"),
    Column("status", String(20), nullable=False, server_default="loading"),
    _created(),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("database_id", ForeignKey("contact_databases.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(255), nullable=True),
    Column("phone", String(32), nullable=False, index=True),
    Column("data", Json, nullable=False),
    # IANA zone of the callee; NULL means inferred from the number.
    Column("timezone", String(64), nullable=True),
    Column("load_id", ForeignKey("lead_loads.id", ondelete="SET NULL"), nullable=True, index=True),
    _created(),
    UniqueConstraint("database_id", "external_id", name="uq_contacts_external"),
)

# --- the spool ------------------------------------------------------------------------

spool_entries = Table(
    "spool_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True),
    # Larger dials first; a due scheduled callback goes ahead of everything.
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("state", String(20), nullable=False, server_default="pending"),
    Column("due_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("variables", Json, nullable=False, server_default=text("'{}'")),
    Column("bound_agent_id", ForeignKey("agents.id", ondelete="SET NULL"), nullable=True),
    Column("timezone", String(64), nullable=True),
    Column("is_callback", Boolean, nullable=False, server_default=text("false")),
    # Which engine node holds the claim, and since when (released on restart).
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("last_outcome", String(30), nullable=True),
    Column("load_id", ForeignKey("lead_loads.id", ondelete="SET NULL"), nullable=True, index=True),
    _created(),
    Column("updated_at", UtcDateTime, nullable=True),
    _one_of("state", SPOOL_STATES, "state"),
    # The hot path: due entries of a campaign by priority, then due time.
    Index("ix_spool_due", "campaign_id", "state", "priority", "due_at"),
)

spool_destinations = Table(
    "spool_destinations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", ForeignKey("spool_entries.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    # Not indexed: nothing looks a destination up by number alone, and an index
    # of random numbers slows lead loading down (migration 0005).
    Column("number", String(32), nullable=False),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_attempt_at", UtcDateTime, nullable=True),
    Column("last_outcome", String(30), nullable=True),
    Column("exhausted", Boolean, nullable=False, server_default=text("false")),
    # Attempts of this number per outcome, for the per-outcome retry maxima.
    Column("outcome_counts", Json, nullable=False, server_default=text("'{}'")),
    UniqueConstraint("entry_id", "position", name="uq_spool_destinations_position"),
)

scheduled_calls = Table(
    "scheduled_calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), nullable=True),
    Column("spool_entry_id", ForeignKey("spool_entries.id", ondelete="CASCADE"), nullable=True),
    Column("number", String(32), nullable=False),
    Column("call_at", UtcDateTime, nullable=False),
    Column("agent_id", ForeignKey("agents.id", ondelete="SET NULL"), nullable=True),
    Column("state", String(20), nullable=False, server_default="pending"),
    _created(),
    Index("ix_scheduled_calls_due", "campaign_id", "state", "call_at"),
    Index("ix_scheduled_calls_number", "number"),
)

# --- calls, dispositions, recordings ---------------------------------------------------

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(64), nullable=False, unique=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True),
    Column("contact_id", ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True),
    Column("spool_entry_id", ForeignKey("spool_entries.id", ondelete="SET NULL"), nullable=True),
    Column("agent_id", ForeignKey("agents.id", ondelete="SET NULL"), nullable=True),
    Column("direction", String(10), nullable=False),
    Column("source", String(80), nullable=False, server_default=""),
    Column("number", String(32), nullable=False),
    Column("channel_id", String(128), nullable=True),
    _created(),
    Column("answered_at", UtcDateTime, nullable=True),
    Column("bridged_at", UtcDateTime, nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("outcome", String(30), nullable=True),
    Column("hangup_cause", Integer, nullable=True),
    Column("amd_status", String(20), nullable=True),
    Column("variables", Json, nullable=False, server_default=text("'{}'")),
    _one_of("direction", ("outbound", "inbound", "manual"), "direction"),
    Index("ix_calls_number_created", "number", "created_at"),
    Index("ix_calls_created", "created_at"),
    Index("ix_calls_campaign_created", "campaign_id", "created_at"),
)

disposition_options = Table(
    "disposition_options",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(150), nullable=False),
    Column("parent_id", ForeignKey("disposition_options.id", ondelete="CASCADE"), nullable=True),
    Column("level", Integer, nullable=False, server_default="1"),
    Column("hidden", Boolean, nullable=False, server_default=text("false")),
    Column("action", String(30), nullable=False, server_default="none"),
    # Webitel's post-processing: success ends the member, otherwise retry.
    Column("success", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("campaign_id", "parent_id", "name", name="uq_disposition_options_name"),
    _one_of("action", DISPOSITION_ACTIONS, "action"),
    CheckConstraint("level BETWEEN 1 AND 3", name="level"),
)

dispositions = Table(
    "dispositions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("call_id", ForeignKey("calls.id", ondelete="SET NULL"), nullable=True),
    Column("agent_id", ForeignKey("agents.id", ondelete="SET NULL"), nullable=True),
    Column("option_id", ForeignKey("disposition_options.id"), nullable=False),
    Column("comments", Text, nullable=False, server_default=""),
    Column("callback_at", UtcDateTime, nullable=True),
    _created(),
    Column("updated_at", UtcDateTime, nullable=True),
    UniqueConstraint("campaign_id", "contact_id", name="uq_dispositions_contact"),
)

dnc_lists = Table(
    "dnc_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(150), nullable=False, unique=True),
    # NULL: the list applies to every campaign.
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True),
    _created(),
)

dnc_entries = Table(
    "dnc_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", ForeignKey("dnc_lists.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(32), nullable=False, index=True),
    Column("reason", String(255), nullable=False, server_default=""),
    _created(),
    Column("expires_at", UtcDateTime, nullable=True),
    UniqueConstraint("list_id", "number", name="uq_dnc_entries_number"),
)

recordings = Table(
    "recordings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", ForeignKey("calls.id", ondelete="SET NULL"), nullable=True, index=True),
    # Relative to the recording store: YYYYMMDD/<call uuid>.<ext>; never raw input.
    Column("path", String(255), nullable=False, unique=True),
    Column("format", String(10), nullable=False),
    Column("duration_seconds", Float, nullable=True),
    Column("size_bytes", Integer, nullable=True),
    Column("tags", Json, nullable=False, server_default=text("'[]'")),
    _created(),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(150), nullable=False),
    Column("action", String(80), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(64), nullable=True),
    Column("details", Json, nullable=False, server_default=text("'{}'")),
    Column("request_id", String(64), nullable=True),
    Index("ix_audit_log_at", "at"),
)
