"""URLs of the loyalty app's rewards pages (included by loyalty.urls, in its namespace).

Under mijn/, so the member app's service worker scope covers them.
"""

from django.urls import path

from . import views_rewards

urlpatterns: list = [
    path("mijn/rewards/", views_rewards.rewards, name="rewards"),
    path("mijn/rewards/<int:reward_pk>/choose/", views_rewards.reward_choose, name="reward_choose"),
    path("mijn/wallet/", views_rewards.wallet, name="wallet"),
    path("mijn/wallet/<int:voucher_pk>/give-back/", views_rewards.voucher_give_back, name="voucher_give_back"),
    path("mijn/offers/", views_rewards.offers, name="offers"),
]
