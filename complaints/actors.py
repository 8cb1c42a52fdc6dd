"""Who acts on a complaint: a user, a platform (through its API key or console) or the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from complaints.choices import Role

if TYPE_CHECKING:
    from complaints.models import Complaint, Platform, User


@dataclass(frozen=True)
class Actor:
    """The acting party of a domain action, with the role it acts in."""

    role: str
    user: User | None = None
    platform: Platform | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(role=Role.SYSTEM, label=label)

    @classmethod
    def of_user(cls, user: User) -> Actor:
        platform = user.platform if user.role == Role.PLATFORM else None
        return cls(role=user.role, user=user, platform=platform, label=user.username)

    @classmethod
    def of_platform(cls, platform: Platform, label: str = "") -> Actor:
        return cls(role=Role.PLATFORM, platform=platform, label=label or platform.code)

    @property
    def is_system(self) -> bool:
        return self.role == Role.SYSTEM

    # Relations to one complaint: the permission callables of the transitions use these.

    def is_consumer_of(self, complaint: Complaint) -> bool:
        return (
            self.role == Role.CONSUMER
            and self.user is not None
            and complaint.consumer_id == self.user.pk
        )

    def is_platform_of(self, complaint: Complaint) -> bool:
        return (
            self.role == Role.PLATFORM
            and self.platform is not None
            and complaint.platform_id == self.platform.pk
        )

    def is_mediator_of(self, complaint: Complaint) -> bool:
        return (
            self.role == Role.MEDIATOR
            and self.user is not None
            and complaint.mediator_id == self.user.pk
        )

    @property
    def is_staff_member(self) -> bool:
        return self.role == Role.STAFF and self.user is not None and self.user.is_active

    def as_event_fields(self) -> dict:
        return {
            "actor": self.user,
            "actor_role": self.role,
            "actor_label": self.label or (self.user.username if self.user else self.role),
        }
