from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by administrators; nobody signs up on their own.

    allauth ships no Vietnamese translation, so the messages users meet most are here.
    """

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "E-mail hoặc mật khẩu không đúng.",
        "account_inactive": "Tài khoản này đã bị khóa.",
        "too_many_login_attempts": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.",
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
