"""Campaign settings: the body models and the rules that keep them consistent."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.dialer.policy import RetryPolicy
from engine.dialer.windows import rule_pack
from engine.errors import ValidationFailed

Mode = Literal["preview", "progressive", "power", "predictive", "inbound"]
RulePackName = Literal["us_tcpa", "us_states", "uk_ofcom", "fr", "custom"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class OpeningHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: list[int] = Field(min_length=1, description="0 = Monday ... 6 = Sunday")
    start: str = Field(description="HH:MM in the campaign's time zone")
    end: str = Field(description="HH:MM, after start")

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[int]) -> list[int]:
        if any(day < 0 or day > 6 for day in days):
            raise ValueError("days are 0 (Monday) to 6 (Sunday)")
        return sorted(set(days))

    @model_validator(mode="after")
    def _times(self) -> OpeningHours:
        if not (_CLOCK.match(self.start) and _CLOCK.match(self.end)):
            raise ValueError("start and end are HH:MM")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class CampaignSettings(BaseModel):
    """Every setting of a campaign but its name, status and ids."""

    model_config = ConfigDict(extra="forbid")
    mode: Mode = "progressive"
    contact_database_id: int | None = None
    caller_id: str = Field("", max_length=80)
    dial_template: str = Field("PJSIP/{number}@trunk", max_length=255)
    ring_timeout_seconds: int = Field(25, ge=15, le=120)
    max_lines_per_agent: int = Field(3, ge=1, le=10)
    power_ratio: float = Field(1.0, ge=1.0, le=10.0)
    # Predictive: the cap is the limit for the day and the first hour (a clock hour
    # may reach one point more); the set point is the day's steady rate aimed at,
    # under the cap so that an unlucky hour does not take the day over it.
    abandon_cap_percent: float = Field(3.0, gt=0, le=100)
    abandon_set_point_percent: float = Field(2.75, gt=0, le=100)
    drop_time_seconds: float = Field(2.0, gt=0, le=30)
    safe_harbour_sound: str = Field("sound:vm-goodbye", max_length=255)
    amd_enabled: bool = False
    recording_mode: Literal["never", "on_demand", "always"] = "never"
    wrapup_seconds: int = Field(10, ge=0, le=3600)
    hours: list[OpeningHours] = Field(default_factory=list)
    timezone: str = "UTC"
    rule_pack: RulePackName = "us_states"
    custom_rule_pack: dict[str, Any] | None = Field(
        None, description='for rule_pack "custom": {"windows": [...], "holidays": [...]}'
    )
    retry_policy: dict[str, Any] = Field(
        default_factory=dict,
        description="per outcome {delay_seconds, max} and optional limits; see the docs",
    )
    crm_url_template: str | None = Field(None, max_length=500)
    skill_id: int | None = None
    inbound_did: str | None = Field(None, max_length=80, description="DID for inbound calls")
    inbound_max_wait_seconds: int = Field(120, ge=5, le=3600)
    inbound_overflow: str = Field(
        "hangup",
        pattern=r"^(hangup|voicemail|campaign:[0-9]+)$",
        description='after the maximum wait: "hangup", "voicemail" or "campaign:<id>"',
    )
    inbound_announce_seconds: int = Field(30, ge=0, le=600)
    moh_class: str = Field("default", max_length=80)

    @field_validator("dial_template")
    @classmethod
    def _template(cls, template: str) -> str:
        if "{number}" not in template:
            raise ValueError("the dial template must contain {number}")
        return template

    @field_validator("timezone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return zone

    @field_validator("retry_policy")
    @classmethod
    def _retry(cls, policy: dict[str, Any]) -> dict[str, Any]:
        try:
            RetryPolicy.from_json(policy)
        except ValidationFailed as exc:
            raise ValueError(f"{exc.message}: {exc.details}") from None
        return policy

    @model_validator(mode="after")
    def _consistent(self) -> CampaignSettings:
        if self.abandon_set_point_percent > self.abandon_cap_percent:
            raise ValueError("the abandon set point must not exceed the cap")
        try:
            rule_pack(self.rule_pack, self.custom_rule_pack)
        except ValidationFailed as exc:
            raise ValueError(f"{exc.message}: {exc.details}") from None
        return self


class NewCampaign(CampaignSettings):
    name: str = Field(min_length=1, max_length=150)
    external_id: str | None = Field(None, max_length=255)


class CampaignPatch(BaseModel):
    """Only the fields given change; validated as a whole after merging."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=150)
    external_id: str | None = None
    mode: Mode | None = None
    contact_database_id: int | None = None
    caller_id: str | None = None
    dial_template: str | None = None
    ring_timeout_seconds: int | None = None
    max_lines_per_agent: int | None = None
    power_ratio: float | None = None
    abandon_cap_percent: float | None = None
    abandon_set_point_percent: float | None = None
    drop_time_seconds: float | None = None
    safe_harbour_sound: str | None = None
    amd_enabled: bool | None = None
    recording_mode: Literal["never", "on_demand", "always"] | None = None
    wrapup_seconds: int | None = None
    hours: list[OpeningHours] | None = None
    timezone: str | None = None
    rule_pack: RulePackName | None = None
    custom_rule_pack: dict[str, Any] | None = None
    retry_policy: dict[str, Any] | None = None
    crm_url_template: str | None = None
    skill_id: int | None = None
    inbound_did: str | None = None
    inbound_max_wait_seconds: int | None = None
    inbound_overflow: str | None = None
    inbound_announce_seconds: int | None = None
    moh_class: str | None = None


class Campaign(NewCampaign):
    model_config = ConfigDict(extra="ignore")
    id: int
    status: str
