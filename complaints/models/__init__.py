"""Models of the core: parties, regions, the working-day calendar and the complaint."""

from .access_log import AppendOnlyError, PersonalDataAccess
from .calendar import CalendarDay, CalendarYear
from .complaint import Complaint, ComplaintEvent, ReferenceCounter
from .data_requests import ErasureRequest
from .logins import LoginFailure
from .messages import ComplaintMessage, MessageReadCursor
from .parties import Merchant, Platform, User
from .preferences import UserPreference
from .regions import Region

__all__ = [
    "AppendOnlyError",
    "CalendarDay",
    "CalendarYear",
    "Complaint",
    "ComplaintEvent",
    "ComplaintMessage",
    "ErasureRequest",
    "LoginFailure",
    "Merchant",
    "MessageReadCursor",
    "PersonalDataAccess",
    "Platform",
    "ReferenceCounter",
    "Region",
    "User",
    "UserPreference",
]
