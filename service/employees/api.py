from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.employees import service
from service.employees.models import Employee
from service.employees.schemas import EmployeeCreate, EmployeeOut, EmployeePage, EmployeeUpdate
from service.pagination import DEFAULT_LIMIT
from service.web.deps import CurrentActor, DbSession, PageLimit, created


def employee_out(employee: Employee) -> EmployeeOut:
    return EmployeeOut.model_validate(employee, from_attributes=True)


class EmployeeController(Controller):
    path = "/api/v1/employees"
    tags = ["employees"]
    guards = [requires(Permission.read_registry)]

    @get("/")
    async def list_employees(
        self,
        session: DbSession,
        q: str | None = None,
        active: bool | None = None,
        company_id: int | None = None,
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> EmployeePage:
        page = await service.list_employees(
            session, q=q, active=active, company_id=company_id, cursor=cursor, limit=limit
        )
        return EmployeePage(items=[employee_out(e) for e in page.items], next_cursor=page.next_cursor)

    @post("/", guards=[requires(Permission.change_registry)])
    async def create_employee(
        self, request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, data: JSONBody[EmployeeCreate]
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            employee = await service.create_employee(session, actor, data)
            return 201, employee_out(employee).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{employee_id:int}")
    async def get_employee(self, session: DbSession, employee_id: int) -> EmployeeOut:
        return employee_out(await service.get_employee(session, employee_id))

    @patch("/{employee_id:int}", guards=[requires(Permission.change_registry)])
    async def update_employee(
        self, session: DbSession, actor: CurrentActor, employee_id: int, data: JSONBody[EmployeeUpdate]
    ) -> EmployeeOut:
        return employee_out(await service.update_employee(session, actor, employee_id, data))
