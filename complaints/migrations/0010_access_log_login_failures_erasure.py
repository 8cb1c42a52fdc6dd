"""The personal data access log (append-only, next migration), failed logins (what the
lock-out counts) and consumers' erasure requests."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_encrypt_personal_data"),
    ]

    operations = [
        migrations.CreateModel(
            name="LoginFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "username",
                    models.CharField(db_index=True, max_length=150, verbose_name="用户名"),
                ),
                (
                    "address",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="来源地址"),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="时间"
                    ),
                ),
                ("refused", models.BooleanField(default=False, verbose_name="锁定期间被拒")),
            ],
            options={
                "verbose_name": "登录失败",
                "verbose_name_plural": "登录失败",
                "ordering": ["-at"],
                "indexes": [models.Index(fields=["address", "at"], name="loginfailure_address_at")],
            },
        ),
        migrations.CreateModel(
            name="ErasureRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "requested_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="申请时间"
                    ),
                ),
                (
                    "completed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="完成时间"),
                ),
                ("erased", models.JSONField(blank=True, default=list, verbose_name="已删除")),
                ("kept", models.JSONField(blank=True, default=list, verbose_name="保留及理由")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="erasure_requests",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="用户",
                    ),
                ),
            ],
            options={
                "verbose_name": "个人信息删除申请",
                "verbose_name_plural": "个人信息删除申请",
                "ordering": ["-requested_at"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("completed_at__isnull", True)),
                        fields=["requested_at"],
                        name="erasure_pending",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PersonalDataAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="时间"
                    ),
                ),
                ("actor_username", models.CharField(max_length=150, verbose_name="读取人用户名")),
                (
                    "actor_role",
                    models.CharField(
                        choices=[
                            ("consumer", "消费者"),
                            ("platform", "平台经营者"),
                            ("staff", "受理人员"),
                            ("mediator", "调解员"),
                            ("regulator", "市场监管部门"),
                            ("system", "系统"),
                        ],
                        max_length=16,
                        verbose_name="读取人角色",
                    ),
                ),
                ("fields", models.JSONField(default=list, verbose_name="读取的字段")),
                ("purpose", models.CharField(max_length=100, verbose_name="目的")),
                ("masked", models.BooleanField(default=False, verbose_name="已脱敏")),
                ("channel", models.CharField(blank=True, max_length=16, verbose_name="渠道")),
                ("path", models.CharField(blank=True, max_length=300, verbose_name="请求路径")),
                (
                    "address",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="来源地址"),
                ),
                (
                    "request_id",
                    models.CharField(blank=True, max_length=64, verbose_name="请求编号"),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="personal_data_reads",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="读取人",
                    ),
                ),
                (
                    "complaint",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="personal_data_accesses",
                        to="complaints.complaint",
                        verbose_name="投诉",
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="personal_data_accesses",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="个人信息主体",
                    ),
                ),
            ],
            options={
                "verbose_name": "个人信息访问记录",
                "verbose_name_plural": "个人信息访问记录",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["subject", "at"], name="pdaccess_subject_at"),
                    models.Index(fields=["actor", "at"], name="pdaccess_actor_at"),
                ],
            },
        ),
    ]
