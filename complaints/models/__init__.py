"""Models of the core: parties, regions, the working-day calendar and the complaint."""

from .calendar import CalendarDay, CalendarYear
from .complaint import Complaint, ComplaintEvent, ReferenceCounter
from .messages import ComplaintMessage, MessageReadCursor
from .parties import Merchant, Platform, User
from .regions import Region

__all__ = [
    "CalendarDay",
    "CalendarYear",
    "Complaint",
    "ComplaintEvent",
    "ComplaintMessage",
    "Merchant",
    "MessageReadCursor",
    "Platform",
    "ReferenceCounter",
    "Region",
    "User",
]
