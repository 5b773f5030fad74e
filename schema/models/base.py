"""What every area's models share: the request and response bases, the field rules, the
error answer.

Request models forbid unknown fields and explicit nulls, so a typo is a 400 that names the
field rather than a silently ignored value. Response models are what the API answers (the
repositories return them, the envelope dumps them camelCase) and what the OpenAPI document
shows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from schema.colors import MAX_COLOR_LENGTH, is_css_color

Role = Literal["interviewer", "candidate"]


def storable(value: str) -> str:
    # Postgres TEXT cannot hold NUL and UTF-8 cannot hold a lone surrogate (JSON "\ud800"
    # decodes to one); refusing them here keeps them from becoming a 500 in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _display_name(value: str) -> str:
    value = storable(value).strip()
    if not 1 <= len(value) <= 100:
        raise ValueError("must be 1 to 100 characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _css_color(value: str) -> str:
    if not is_css_color(value):
        raise ValueError(
            f"must be a CSS color of at most {MAX_COLOR_LENGTH} characters, "
            "e.g. 'hsl(250, 84%, 54%)' or '#3b82f6'"
        )
    return value.strip()


def _title(value: str) -> str:
    value = storable(value).strip()
    if len(value) > 200:
        raise ValueError("must be at most 200 characters")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


DisplayName = Annotated[str, AfterValidator(_display_name)]
CssColor = Annotated[str, AfterValidator(_css_color)]
Code = Annotated[str, AfterValidator(storable)]
Title = Annotated[str, AfterValidator(_title)]
LanguageName = Annotated[str, Field(min_length=1, max_length=20)]


class RequestModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, strict=True
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None:
                    raise ValueError(f"'{key}' must not be null")
        return data


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    @classmethod
    def from_record(cls, row: Mapping[str, Any], **values: Any) -> Self:
        """The model of a database row whose columns are named as the fields (snake_case);
        `values` for the fields a column does not give as is."""
        return cls.model_validate({**dict(row), **values})

    def wire(self) -> dict[str, Any]:
        """As the API answers it: camelCase, JSON types."""
        return self.model_dump(mode="json", by_alias=True)


def jsonable(value: Any) -> Any:
    """`json.dumps`'s `default`: a model as the API answers it."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ErrorResponse(ResponseModel):
    success: Literal[False] = False
    error: str
    code: str


class Done(ResponseModel):
    success: Literal[True] = True
    data: dict[str, Any]
