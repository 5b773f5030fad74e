"""Templates, in the shape of seed 002's Templates API (DevPocket): snake_case fields, ISO
times, inside Duet's envelope. A template is a language of the runner's table plus its
starter files, and what the Kubernetes runner gives that language: its image, resources,
environment variables and commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from schema.models.accounts import ShortName, SnakeRequestModel
from schema.models.base import LanguageName, ResponseModel, storable
from schema.models.questions import SourceCode, Tag

MAX_FILES = 20
MAX_TEMPLATES = 100

Category = Literal["programming_language", "framework", "database", "devops", "operating_system"]
Status = Literal["active", "deprecated", "beta"]


def _matching(pattern: str, rule: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(rule)
        return value

    return check


def _description(value: str) -> str:
    value = storable(value).strip()
    if len(value) > 2000:
        raise ValueError("must be at most 2000 characters")
    return value


def _url(value: str) -> str:
    if len(value) > 2000 or not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value):
        raise ValueError("must be an http(s) URL of at most 2000 characters")
    return value


def _command(value: str) -> str:
    value = storable(value)
    if not 1 <= len(value) <= 1000 or "\n" in value:
        raise ValueError("must be one line of 1 to 1000 characters")
    return value


TemplateName = Annotated[
    str,
    AfterValidator(
        _matching(r"[a-z0-9][a-z0-9._-]{0,63}", "must be 1 to 64 lowercase letters, digits, "
                  "'.', '_' or '-', starting with a letter or digit, e.g. 'python-3.11'")
    ),
]  # fmt: skip
FilePath = Annotated[
    str,
    AfterValidator(
        _matching(r"(?=.{1,200}$)[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*",
                  "must be a relative path of at most 200 characters: letters, digits, '_', "
                  "'.' and '-', segments separated by '/', none starting with '.'")
    ),
]  # fmt: skip
Image = Annotated[
    str,
    AfterValidator(
        _matching(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}",
                  "must be a container image reference, e.g. 'python:3.11-slim'")
    ),
]  # fmt: skip
Cpu = Annotated[
    str, AfterValidator(_matching(r"\d{1,6}(\.\d{1,3})?m?", "must be a CPU quantity, e.g. "
                                                            "'500m' or '1'"))
]  # fmt: skip
Size = Annotated[
    str,
    AfterValidator(
        _matching(r"\d{1,9}(Ki|Mi|Gi|Ti|k|M|G|T)?", "must be a size, e.g. '256Mi' or '10Gi'")
    ),
]
EnvName = Annotated[
    str,
    AfterValidator(
        _matching(r"[A-Za-z_][A-Za-z0-9_]{0,127}", "must be a variable name, e.g. 'APP_ENV'")
    ),
]
EnvValue = Annotated[str, AfterValidator(storable), Field(max_length=4096)]
Version = Annotated[
    str,
    AfterValidator(
        _matching(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,31}", "must be a version such as '1.0.0'")
    ),
]
Url = Annotated[str, AfterValidator(_url)]
Command = Annotated[str, AfterValidator(_command)]
Files = Annotated[dict[FilePath, SourceCode], Field(max_length=MAX_FILES)]
Tags = Annotated[list[Tag], Field(max_length=20)]
Port = Annotated[int, Field(ge=1, le=65_535)]
Environment = Annotated[dict[EnvName, EnvValue], Field(max_length=50)]
Commands = Annotated[list[Command], Field(max_length=20)]


class ResourcesRequest(SnakeRequestModel):
    cpu: Cpu
    memory: Size
    storage: Size


class TemplateRequest(SnakeRequestModel):
    """`POST /templates`. Left out, `docker_image`, `default_resources`,
    `environment_variables` and `startup_commands` are the language's own."""

    name: TemplateName
    display_name: ShortName
    description: Annotated[str, AfterValidator(_description)] = ""
    category: Category = "programming_language"
    tags: Tags = []
    language: LanguageName
    files: Files = Field(default={}, description="Starter files: relative path -> content")
    docker_image: Image | None = None
    default_port: Port | None = None
    default_resources: ResourcesRequest | None = None
    environment_variables: Environment | None = None
    startup_commands: Commands | None = None
    documentation_url: Url | None = None
    icon_url: Url | None = None
    status: Status = "active"
    version: Version = "1.0.0"


class TemplateUpdate(SnakeRequestModel):
    """`PUT /templates/{id}`: the fields to change, at least one; the rest stay. A new
    `language` also brings that language's image, resources, variables and commands,
    unless the body gives them."""

    name: TemplateName | None = None
    display_name: ShortName | None = None
    description: Annotated[str, AfterValidator(_description)] | None = None
    category: Category | None = None
    tags: Tags | None = None
    language: LanguageName | None = None
    files: Files | None = None
    docker_image: Image | None = None
    default_port: Port | None = None
    default_resources: ResourcesRequest | None = None
    environment_variables: Environment | None = None
    startup_commands: Commands | None = None
    documentation_url: Url | None = None
    icon_url: Url | None = None
    status: Status | None = None
    version: Version | None = None

    @model_validator(mode="after")
    def _some_field(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class SnakeResponseModel(ResponseModel):
    """An answer in the seed's snake_case."""

    model_config = ConfigDict(alias_generator=None, populate_by_name=True)


class Resources(SnakeResponseModel):
    cpu: str
    memory: str
    storage: str


class Template(SnakeResponseModel):
    id: UUID
    name: str
    display_name: str
    description: str
    category: Category
    tags: list[str]
    language: str = Field(description="A language of GET /languages")
    files: dict[str, str] = Field(description="Starter files: relative path -> content")
    docker_image: str | None = Field(description="The image the Kubernetes runner uses")
    default_port: int | None = Field(description="Informative: Duet's sandboxes have no network")
    default_resources: Resources
    environment_variables: dict[str, str]
    startup_commands: list[str] = Field(description="How a run builds and starts the code")
    documentation_url: str | None
    icon_url: str | None
    status: Status
    version: str
    usage_count: int
    created_at: str = Field(description="ISO 8601, UTC")
    updated_at: str = Field(description="ISO 8601, UTC")


class TemplateEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Template


class TemplateListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Template]


class InitializedQuestion(SnakeResponseModel):
    id: UUID
    title: str
    version: int
    created: bool = Field(description="False: the bank already had a question of this title")


class TemplatesInitialized(SnakeResponseModel):
    message: str
    created: list[str] = Field(description="Names of the default templates created now")
    templates: list[Template] = Field(description="Every default template, as it is now")
    questions: list[InitializedQuestion] = Field(description="The example questions")


class TemplatesInitializedEnvelope(ResponseModel):
    success: Literal[True] = True
    data: TemplatesInitialized
