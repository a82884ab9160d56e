"""One-time keys of the pages' forms: a form sent again is answered with what the first made."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

# A key as the pages make it (web/form_keys.py) is 32 characters; a hand-made one is refused
# beyond this.
FORM_KEY_LENGTH = 64


class FormKey(Base):
    """A form's key, written in the transaction of the change the form made, with where that
    change is seen. Keys are per user (unique with the user), as the API's Idempotency-Keys."""

    __tablename__ = "form_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(FORM_KEY_LENGTH))
    # The form's action (the path it was posted to) and the page its change is seen on.
    path: Mapped[str] = mapped_column(String(500))
    target: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)
