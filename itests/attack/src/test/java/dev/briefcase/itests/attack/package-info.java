/** The attack suite: hostile inputs built at test time against the built distribution. */
package dev.briefcase.itests.attack;
